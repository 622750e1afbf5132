/**
 * The consumer's floor: Argyle requests alone, from the same runtime, with nothing done with
 * the answers but reading them. POST {"urls": [...], "concurrency": 6} fetches those URLs at
 * that concurrency; POST {"first": url} follows a gig list's `next` links to the end. Answers
 * with the number of requests made. What the consumer takes beyond this is its own doing.
 * @module
 */

interface Plan {
  authorization: string;
  urls?: string[];
  concurrency?: number;
  first?: string;
}

// Argyle's list pages start with their `next` link: read it without parsing the page.
const NEXT = /^\s*\{\s*"next"\s*:\s*(?:null|"((?:[^"\\]|\\.)*)")/;

export default {
  async fetch(request: Request): Promise<Response> {
    const plan = (await request.json()) as Plan;
    const get = async (url: string) => {
      const response = await fetch(url, { headers: { authorization: plan.authorization } });
      const text = await response.text();
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return text;
    };
    let requests = 0;
    if (plan.urls) {
      const urls = plan.urls;
      let next = 0;
      const lane = async () => {
        while (next < urls.length) {
          const url = urls[next++] as string;
          await get(url);
          requests++;
        }
      };
      await Promise.all(Array.from({ length: plan.concurrency ?? 6 }, lane));
    } else {
      let url: string | undefined = plan.first;
      while (url) {
        const text = await get(url);
        requests++;
        url = NEXT.exec(text)?.[1]?.replaceAll("\\/", "/");
      }
    }
    return Response.json({ requests });
  },
};
