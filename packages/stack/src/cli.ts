// Placeholder until the local stack lands (issue 8): shows what is built.
console.log('bedrock-stream: packages built. The one-command local stack is not wired yet.');
