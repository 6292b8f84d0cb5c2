#!/usr/bin/env node
// The connectly-mock command. A committed file, so that `npm ci` in a clone links it before the build.
require('../dist/bin.js');
