/**
 * The no-op baseline: answers 202 and does nothing else. What the runtime itself costs per
 * request (accepting it, routing it, answering), the floor under every other figure. It drains
 * the body without looking at it: workerd drops a keep-alive connection whose request body was
 * left unread, and half of all 200 KB requests then failed instead of measuring anything.
 * @module
 */

const BODY = '{"status":"accepted","id":"00000000-0000-7000-8000-000000000000"}';

export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response(BODY, { status: 202, headers: { "content-type": "application/json" } });
  },
};
