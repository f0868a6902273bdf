import { createStreamClient } from '@org/bedrock-stream-client';
import { BedrockStreamProvider } from '@org/bedrock-stream-client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { loadConfig } from './config.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadConfig()
  .then((config) => {
    const client = createStreamClient({
      url: config.graphqlUrl,
      region: config.region,
      auth: { type: 'API_KEY', apiKey: config.apiKey },
    });
    root.render(
      <StrictMode>
        <BedrockStreamProvider client={client}>
          <App config={config} loadUsage={() => client.usage()} />
        </BedrockStreamProvider>
      </StrictMode>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <p className="fatal" data-testid="config-error">
        {(error as Error).message}
      </p>,
    );
  });
