// Generates API.md from the doc comments of the package's public entry points, with the TypeScript
// compiler's own view of what each entry point exports. `--check` fails when API.md is stale or
// when a public prop lacks a doc comment (or, when optional, an @default), so the docs stay complete.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');
const entryPoints: Array<[string, string]> = [
  ['sparkplane', 'lib/index.ts'],
  ['sparkplane/cdk8s', 'lib/cdk8s/index.ts'],
  ['sparkplane/pulumi', 'lib/pulumi/index.ts'],
];
const apiFile = path.join(root, 'API.md');

const program = ts.createProgram(entryPoints.map(([, file]) => path.join(root, file)), {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  strict: true,
  esModuleInterop: true,
  resolveJsonModule: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const missing: string[] = [];

function docOf(symbol: ts.Symbol): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s*\n\s*/g, ' ').trim();
}

function tagOf(symbol: ts.Symbol, name: string): string | undefined {
  const tag = symbol.getJsDocTags(checker).find((t) => t.name === name);
  return tag ? ts.displayPartsToString(tag.text).replace(/\s*\n\s*/g, ' ').trim() : undefined;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeText(symbol: ts.Symbol, at: ts.Node): string {
  const text = checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, at), at, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope);
  return text.replace(/import\("[^"]+"\)\./g, '');
}

function renderInterface(name: string, symbol: ts.Symbol, declaration: ts.InterfaceDeclaration): string {
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const rows: string[] = [];
  for (const property of checker.getPropertiesOfType(type)) {
    const doc = docOf(property);
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    const defaultValue = tagOf(property, 'default');
    if (!doc) missing.push(`${name}.${property.name}: no doc comment`);
    if (optional && defaultValue === undefined) missing.push(`${name}.${property.name}: optional without @default`);
    const shown = optional ? `\`${property.name}?\`` : `\`${property.name}\``;
    rows.push(`| ${shown} | \`${cell(typeText(property, declaration))}\` | ${cell(doc)} | ${defaultValue === undefined ? (optional ? '' : 'required') : cell(defaultValue)} |`);
  }
  const heritage = declaration.heritageClauses?.map((h) => h.getText()).join(' ') ?? '';
  return [
    `### interface \`${name}\`${heritage ? ` (${heritage})` : ''}`,
    '',
    docOf(symbol),
    '',
    rows.length ? '| property | type | description | default |\n|---|---|---|---|\n' + rows.join('\n') : '_No properties._',
    '',
  ].join('\n');
}

function signatureText(signature: ts.Signature, name: string): string {
  return `${name}${checker.signatureToString(signature, undefined, ts.TypeFormatFlags.NoTruncation)}`.replace(/import\("[^"]+"\)\./g, '');
}

function renderClass(name: string, symbol: ts.Symbol, declaration: ts.ClassDeclaration): string {
  const lines = [`### class \`${name}\``, '', docOf(symbol), ''];
  if (!docOf(symbol)) missing.push(`${name}: no doc comment`);
  const classType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
  for (const signature of classType.getConstructSignatures()) lines.push('```ts', `new ${signatureText(signature, name)}`, '```', '');
  const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
  const members: string[] = [];
  for (const member of checker.getPropertiesOfType(instanceType)) {
    const memberDeclaration = member.valueDeclaration ?? member.declarations?.[0];
    if (!memberDeclaration || memberDeclaration.getSourceFile().fileName.includes('node_modules')) continue;
    const modifiers = ts.getCombinedModifierFlags(memberDeclaration as ts.Declaration);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || member.name.startsWith('_')) continue;
    const doc = docOf(member);
    if (!doc) missing.push(`${name}.${member.name}: no doc comment`);
    if (ts.isMethodDeclaration(memberDeclaration)) {
      const signature = checker.getSignatureFromDeclaration(memberDeclaration)!;
      members.push(`| \`${cell(signatureText(signature, member.name))}\` | ${cell(doc)} |`);
    } else {
      members.push(`| \`${member.name}: ${cell(typeText(member, declaration))}\` | ${cell(doc)} |`);
    }
  }
  if (members.length) lines.push('| member | description |', '|---|---|', ...members, '');
  return lines.join('\n');
}

function renderOther(name: string, symbol: ts.Symbol, declaration: ts.Declaration): string {
  const doc = docOf(symbol);
  if (!doc) missing.push(`${name}: no doc comment`);
  let signature: string;
  if (ts.isFunctionDeclaration(declaration)) {
    signature = `function ${signatureText(checker.getSignatureFromDeclaration(declaration)!, name)}`;
  } else if (ts.isTypeAliasDeclaration(declaration)) {
    signature = `type ${name} = ${checker.typeToString(checker.getTypeFromTypeNode(declaration.type), declaration, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias)}`;
  } else {
    signature = `const ${name}: ${typeText(symbol, declaration)}`;
  }
  return [`### \`${name}\``, '', doc, '', '```ts', signature.replace(/import\("[^"]+"\)\./g, ''), '```', ''].join('\n');
}

const sections: string[] = [
  '# API reference',
  '',
  '<!-- Generated by scripts/api-docs.ts from the doc comments; run `npx projen docgen`. Do not edit. -->',
  '',
];
for (const [moduleName, file] of entryPoints) {
  const source = program.getSourceFile(path.join(root, file))!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
  sections.push(`## \`${moduleName}\``, '');
  for (const exportSymbol of exported) {
    const symbol = exportSymbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exportSymbol) : exportSymbol;
    const declaration = symbol.declarations?.[0];
    if (!declaration) continue;
    if (ts.isInterfaceDeclaration(declaration)) sections.push(renderInterface(exportSymbol.name, symbol, declaration));
    else if (ts.isClassDeclaration(declaration)) sections.push(renderClass(exportSymbol.name, symbol, declaration));
    else sections.push(renderOther(exportSymbol.name, symbol, declaration));
  }
}
const markdown = sections.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';

const problems = [...new Set(missing)];
if (process.argv.includes('--check')) {
  const current = fs.existsSync(apiFile) ? fs.readFileSync(apiFile, 'utf8') : '';
  if (problems.length) console.error(`API docs incomplete:\n  ${problems.join('\n  ')}`);
  if (current !== markdown) console.error('API.md is stale: run `npx projen docgen` (or `npx projen compile`) and commit it.');
  if (problems.length || current !== markdown) process.exit(1);
  console.log('API.md is current.');
} else {
  fs.writeFileSync(apiFile, markdown);
  if (problems.length) {
    console.error(`API docs incomplete:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`API.md written (${markdown.length} characters).`);
}
