// What the README's examples take as given (the reader's own values and libraries).
declare const url: string;
declare const region: string;
declare const apiKey: string;
declare const oidc: { accessToken: string };
declare function fetchAuthSession(): Promise<{ tokens?: { idToken?: { toString(): string } } }>;
declare module '@aws-sdk/credential-providers' {
  export function fromNodeProviderChain(): () => Promise<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  }>;
}
declare const conversationId: string;
declare const pngBase64: string;
declare const client: import('@org/bedrock-stream-client').StreamClient;
declare function uploadToS3(part: { type: string; bytes: string }): Promise<string>;
