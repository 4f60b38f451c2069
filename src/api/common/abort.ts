import type { FastifyReply } from 'fastify';

/**
 * A signal that aborts when the client goes away before its answer was sent, so queued engine work is dropped.
 * (The request stream's own 'close' fires as soon as the body has been read in Node 20, so it cannot be used.)
 */
export function abortWhenClientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  return controller.signal;
}
