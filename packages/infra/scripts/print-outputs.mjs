// Prints the CfnOutputs of the synthesized example stack: what a client needs once deployed.
// (Values are CloudFormation expressions until `cdk deploy` resolves them.)
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../cdk.out/', import.meta.url);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
  const { Outputs = {} } = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  console.log(`${file.replace('.template.json', '')} outputs (resolved by cdk deploy):`);
  for (const [id, { Value, Description }] of Object.entries(Outputs))
    console.log(`  ${id} = ${JSON.stringify(Value)}${Description ? `  # ${Description}` : ''}`);
}
