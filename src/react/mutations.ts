import { MutationObserver, QueryClient, QueryClientContext, type MutationKey } from '@tanstack/react-query';
import { useContext, useMemo, useRef } from 'react';
import type { UploadError } from '../core/errors';
import type { UploadOperations } from '../core/upload';

/** Keys under which Start and Complete appear in the host's MutationCache and in React Query Devtools. */
export const START_ATTACHMENT_UPLOAD_KEY = ['connect-attachment-uploader', 'start-attachment-upload'] as const;
export const COMPLETE_ATTACHMENT_UPLOAD_KEY = ['connect-attachment-uploader', 'complete-attachment-upload'] as const;

/**
 * Runs one call as a mutation in `queryClient`. `retry: false` because the engine retries with the same
 * ClientToken under its own policy (two retry layers would multiply attempts); `networkMode: 'always'` because a
 * mutation paused by react-query's onlineManager could not be cancelled by our AbortSignal, and the engine
 * already handles lost connections.
 */
function runMutation<TData, TVariables>(
  queryClient: QueryClient,
  mutationKey: MutationKey,
  variables: TVariables,
  call: () => Promise<TData>,
): Promise<TData> {
  const observer = new MutationObserver<TData, UploadError, TVariables>(queryClient, {
    mutationKey,
    mutationFn: call,
    retry: false,
    networkMode: 'always',
  });
  // Detach once settled so the cache can garbage-collect the mutation after its gcTime.
  return observer.mutate(variables).finally(() => observer.reset());
}

/**
 * Start and Complete routed through `queryClient`'s MutationCache. The mutation variables are the requests
 * themselves (name, size, type, ClientToken, AttachmentId), never the client, which holds the ConnectionToken.
 */
export function createMutationOperations(queryClient: QueryClient): UploadOperations {
  return {
    startUpload: (client, request, options) =>
      runMutation(queryClient, START_ATTACHMENT_UPLOAD_KEY, request, () => client.startUpload(request, options)),
    completeUpload: (client, request, options) =>
      runMutation(queryClient, COMPLETE_ATTACHMENT_UPLOAD_KEY, request, () => client.completeUpload(request, options)),
  };
}

/**
 * The QueryClient to use: the one given, else the host's QueryClientProvider's (read from the context directly:
 * `useQueryClient` throws without a provider), else one of our own, created once per component instance.
 */
function useUploaderQueryClient(explicit?: QueryClient): QueryClient {
  const fromProvider = useContext(QueryClientContext);
  const own = useRef<QueryClient | null>(null);
  const given = explicit ?? fromProvider;
  if (given) return given;
  own.current ??= new QueryClient();
  return own.current;
}

/** UploadOperations bound to the uploader's QueryClient; a new object only when that client changes. */
export function useMutationOperations(explicit?: QueryClient): UploadOperations {
  const queryClient = useUploaderQueryClient(explicit);
  return useMemo(() => createMutationOperations(queryClient), [queryClient]);
}
