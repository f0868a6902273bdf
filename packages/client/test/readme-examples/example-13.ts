import { Chat, type AttachmentStore } from '@org/bedrock-stream-client';

const attachmentStore: AttachmentStore = {
  async offload(part) {
    const key = await uploadToS3(part); // the app's own upload (presigned URL)
    return { type: 'text', text: `[${part.type} ${key} is too large to attach inline]` };
  },
};
const chat = new Chat({ client, conversationId, attachmentStore });
