/*
 * trim(): gives the pages glibc's malloc holds free back to the system, and says whether any were.
 *
 * A 64 MB transfer through the daemon leaves 20-35 MB of free, fragmented memory in glibc's main
 * arena: free() returns memory only from the top of the heap, and the transfer's 16 KB buffers
 * (TLS records, HTTP/2 frames) were freed around smaller ones that live on. Only malloc_trim()
 * returns pages from the middle, and Node cannot call it (docs/performance.md, "Eleventh pass").
 * The daemon calls this once it is quiet (proxy-core/src/daemon/idleCompaction.ts), never while
 * it serves. Node-API only, so one build loads in every Node and Electron of its platform.
 */
#include <malloc.h>
#include <node_api.h>

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value released;
  if (napi_get_boolean(env, malloc_trim(0) == 1, &released) != napi_ok) return NULL;
  return released;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}
