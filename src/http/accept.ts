/**
 * Content negotiation as DRF does it before authentication: the only renderer is JSON, so a request whose
 * Accept header admits neither application/json, application/*, nor *\/* gets 406. Clients overwhelmingly send
 * the same few Accept values, so results are memoised (bounded).
 */
const memo = new Map<string, boolean>();

export function acceptsJson(accept: string): boolean {
  if (accept === '' || accept === '*/*' || accept === 'application/json') return true;
  let result = memo.get(accept);
  if (result === undefined) {
    result = evaluate(accept);
    if (memo.size >= 1024) memo.clear();
    memo.set(accept, result);
  }
  return result;
}

function evaluate(accept: string): boolean {
  for (const range of accept.split(',')) {
    const [media, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    if (media === undefined || media === '') continue;
    // q=0 means "not acceptable" (RFC 9110 §12.4.2).
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (media === '*/*' || media === 'application/*' || media === 'application/json') return true;
  }
  return false;
}
