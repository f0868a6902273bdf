import { useBedrockStream } from '@org/bedrock-stream-client/react';
import { useEffect, useState } from 'react';

const KEY = 'chat:active-stream';

export function Chat() {
  // Read once: the answer that was being written when the page went away.
  const [resumeStreamId] = useState(() => sessionStorage.getItem(KEY));
  const { text, status, streamId } = useBedrockStream({ resumeStreamId });
  useEffect(() => {
    if ((status === 'submitted' || status === 'streaming') && streamId) {
      sessionStorage.setItem(KEY, streamId);
    } else if (status !== 'idle') {
      sessionStorage.removeItem(KEY);
    }
  }, [status, streamId]);
  return <pre>{text}</pre>;
}
