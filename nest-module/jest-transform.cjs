// A Jest transform for apps on NestJS 12 (ESM only) tested in Jest's CommonJS mode: turns @nestjs/* files
// into CommonJS, replacing the few import.meta idioms that CommonJS has other words for. Needs `typescript`.
const { createHash } = require('node:crypto');
const ts = require('typescript');

const REVISION = 'nest12-esm-to-cjs-1';

function replaceImportMeta(source) {
  return source
    .replace(/^\s*const require\s*=\s*createRequire\(import\.meta\.url\);?\s*$/gm, '')
    .replace(/import\.meta\.resolve\(/g, 'require.resolve(')
    .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href")
    .replace(/import\.meta\.dirname/g, '__dirname')
    .replace(/import\.meta\.filename/g, '__filename');
}

module.exports = {
  getCacheKey(source, file) {
    return createHash('sha1').update(REVISION).update(ts.version).update(file).update(source).digest('hex');
  },
  process(source, file) {
    const output = ts.transpileModule(replaceImportMeta(source), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
      },
    });
    return { code: output.outputText };
  },
};
