// vite.config.ts
import { bedrockStreamClient } from '@org/bedrock-stream-client/vite';
import { defineConfig } from 'vite';

export default defineConfig({ plugins: [bedrockStreamClient()] });
