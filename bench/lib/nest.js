// The decorators a TypeScript controller would carry, applied by hand in plain JavaScript.
'use strict';

/** `decorate(method, ...decorators)` for the methods of `Class`. */
const decorator =
  (Class) =>
  (method, ...decorators) =>
    Reflect.decorate(decorators, Class.prototype, method, Object.getOwnPropertyDescriptor(Class.prototype, method));

/** A parameter decorator (`Query('name')`, `Body()`) for the parameter at `index`. */
const param = (decorator, index) => (target, key) => decorator(target, key, index);

module.exports = { decorator, param };
