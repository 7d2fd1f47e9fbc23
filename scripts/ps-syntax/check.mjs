// Parses every `const PS_...: &str = r#"..."#;` PowerShell script of the given Rust files with
// tree-sitter's PowerShell grammar and reports ERROR / MISSING nodes: the collector's scripts
// cannot run here (no PowerShell on Linux CI), but a syntax error in one is caught.
import fs from 'fs';
import { fileURLToPath } from 'url';
import { Parser, Language } from 'web-tree-sitter';
await Parser.init();
const grammar = fileURLToPath(
  new URL('node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm', import.meta.url),
);
const parser = new Parser();
parser.setLanguage(await Language.load(grammar));
function problems(node, out) {
  if (node.type === 'ERROR' || node.isMissing) out.push(node);
  for (const c of node.children) problems(c, out);
  return out;
}
let bad = 0, n = 0;
for (const file of process.argv.slice(2)) {
  const src = fs.readFileSync(file, 'utf8');
  const re = /const (PS_[A-Z0-9_]+): &str = r(#+)"([\s\S]*?)"\2;/g;
  let m;
  while ((m = re.exec(src))) {
    n++;
    const errs = problems(parser.parse(m[3]).rootNode, []);
    if (errs.length) {
      bad++;
      for (const e of errs.slice(0, 5)) {
        const line = m[3].split('\n')[e.startPosition.row] || '';
        console.log(`${file} ${m[1]}: ${e.isMissing ? 'MISSING ' + e.type : 'ERROR'} at script line ${e.startPosition.row + 1}: ${line.trim()}`);
      }
    } else {
      console.log(`${file} ${m[1]}: ok`);
    }
  }
}
console.log(`${n} scripts, ${bad} with syntax errors`);
if (n === 0) {
  console.log('no PS_ script found: the pattern no longer matches the sources');
  process.exit(2);
}
process.exit(bad ? 1 : 0);
