// A graphql-codegen plugin: every operation's source text as a string constant
// (`<Name>Source`, with the fragments it spreads), printed by graphql-js as
// `print(<Name>Document)` prints it. Senders that only need the text (the worker's
// publishChunk) then carry no graphql runtime.
const { print, visit } = require('graphql');

/** The names of the fragments `node` spreads, directly or through other fragments. */
function spreadFragments(node, fragments, seen = new Set()) {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      if (seen.has(name) || !fragments.has(name)) return;
      seen.add(name);
      spreadFragments(fragments.get(name), fragments, seen);
    },
  });
  return seen;
}

module.exports = {
  plugin(_schema, documents) {
    const definitions = documents.flatMap(({ document }) => document?.definitions ?? []);
    const fragments = new Map(
      definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]),
    );
    const lines = [];
    for (const definition of definitions) {
      if (definition.kind !== 'OperationDefinition' || !definition.name) continue;
      const name = definition.name.value;
      // In document order, as typed-document-node appends them to <Name>Document.
      const spread = spreadFragments(definition, fragments);
      const used = [...fragments.values()].filter((f) => spread.has(f.name.value));
      const source = print({ kind: 'Document', definitions: [definition, ...used] });
      lines.push(
        `/** The \`${name}\` ${definition.operation} as sent on the wire (print of ${name}Document). */`,
        `export const ${name}Source = ${JSON.stringify(source)};`,
      );
    }
    return lines.join('\n') + '\n';
  },
};
