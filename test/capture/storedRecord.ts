import type { StoredRecord } from '../../proxy-core/src/capture/types';

/** A finished GET as the capture buffer stores it, with `over` on top. */
export function storedRecord(id: string, over: Partial<StoredRecord> = {}): StoredRecord {
  return {
    id,
    startedAtMs: Date.now(),
    host: 'a.localhost',
    clientAddress: '127.0.0.1',
    method: 'GET',
    url: `/${id}`,
    httpVersion: '1.1',
    reqHead: '',
    status: 200,
    totalUs: 1000,
    bytesIn: 0,
    bytesOut: 0,
    complete: true,
    ...over,
  };
}
