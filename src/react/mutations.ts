import { QueryClient, QueryClientContext, type MutationKey } from '@tanstack/react-query';
import { useContext, useMemo, useRef } from 'react';
import type { UploadError } from '../core/errors';
import type { UploadOperations } from '../core/upload';

/** Keys under which Start and Complete appear in the host's MutationCache and in React Query Devtools. */
export const START_ATTACHMENT_UPLOAD_KEY = ['connect-attachment-uploader', 'start-attachment-upload'] as const;
export const COMPLETE_ATTACHMENT_UPLOAD_KEY = ['connect-attachment-uploader', 'complete-attachment-upload'] as const;

/**
 * Start and Complete as mutations in the given QueryClient, else the host's QueryClientProvider's (read from the
 * context directly: `useQueryClient` throws without a provider), else one of our own, created once per component
 * instance. A new object only when that client changes.
 */
export function useMutationOperations(explicit?: QueryClient): UploadOperations {
  const fromProvider = useContext(QueryClientContext);
  const own = useRef<QueryClient>(null);
  const queryClient = explicit ?? fromProvider ?? (own.current ??= new QueryClient());
  return useMemo(() => {
    /**
     * One call as a mutation of the cache, run without an observer: nothing renders from it, and a mutation nobody
     * observes is garbage-collected after its gcTime once settled. The variables are the request itself (what
     * Devtools shows), never the client, which holds the ConnectionToken. `retry: false` because the engine retries
     * with the same ClientToken under its own policy (two retry layers would multiply attempts); `networkMode:
     * 'always'` because a mutation paused by react-query's onlineManager could not be cancelled by our AbortSignal,
     * and the engine handles lost connections.
     */
    const run = <T>(mutationKey: MutationKey, request: object, call: () => Promise<T>): Promise<T> =>
      queryClient
        .getMutationCache()
        .build<T, UploadError, object, unknown>(queryClient, { mutationKey, mutationFn: call, retry: false, networkMode: 'always' })
        .execute(request);
    return {
      startUpload: (client, request, options) => run(START_ATTACHMENT_UPLOAD_KEY, request, () => client.startUpload(request, options)),
      completeUpload: (client, request, options) =>
        run(COMPLETE_ATTACHMENT_UPLOAD_KEY, request, () => client.completeUpload(request, options)),
    };
  }, [queryClient]);
}
