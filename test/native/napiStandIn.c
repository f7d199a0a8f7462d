/*
 * A stand-in for Node's Node-API, so that heapTrim-linux-arm64.node can be loaded and called on a
 * machine with no arm64 Node: built for arm64 and run under qemu by heapTrimArm64.test.ts. It
 * defines the three Node-API functions heapTrim.c calls (exported with -rdynamic, so the addon's
 * undefined symbols resolve to them), registers the module as Node would, and calls the `trim`
 * it exported on a heap fragmented the way a transfer leaves it.
 *
 *   napiStandIn ADDON.node   prints "exports trim" and "trim() -> true|false", exits 0
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

static napi_callback created;
static const char *created_name = "";
static int exported;
static int returned = -1;
static char value_of_created, value_of_exports;

napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb,
                                 void *data, napi_value *result) {
  (void)env, (void)length, (void)data;
  created = cb;
  created_name = name;
  *result = (napi_value)&value_of_created;
  return napi_ok;
}

napi_status napi_set_named_property(napi_env env, napi_value object, const char *name,
                                    napi_value value) {
  (void)env;
  if (object == (napi_value)&value_of_exports && value == (napi_value)&value_of_created &&
      strcmp(name, created_name) == 0)
    exported = 1;
  printf("exports %s\n", name);
  return napi_ok;
}

napi_status napi_get_boolean(napi_env env, bool value, napi_value *result) {
  (void)env;
  returned = value;
  *result = (napi_value)&returned;
  return napi_ok;
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s ADDON.node\n", argv[0]), 2;
  void *addon = dlopen(argv[1], RTLD_NOW);
  if (!addon) return fprintf(stderr, "dlopen: %s\n", dlerror()), 1;
  napi_value (*init)(napi_env, napi_value);
  *(void **)&init = dlsym(addon, "napi_register_module_v1");
  if (!init) return fprintf(stderr, "no napi_register_module_v1: %s\n", dlerror()), 1;
  if (init((napi_env)&value_of_exports, (napi_value)&value_of_exports) != (napi_value)&value_of_exports)
    return fprintf(stderr, "the module init did not return its exports\n"), 1;
  if (!exported || strcmp(created_name, "trim") != 0)
    return fprintf(stderr, "no function trim was exported\n"), 1;

  /* 48 MB of 16 KB blocks (below malloc's mmap threshold) with small ones between that stay. */
  enum { N = 3000 };
  static void *big[N], *small[N];
  for (int i = 0; i < N; i++) {
    big[i] = malloc(16 * 1024);
    memset(big[i], 1, 16 * 1024);
    small[i] = malloc(512);
  }
  for (int i = 0; i < N; i++) free(big[i]);
  if (created((napi_env)&value_of_exports, NULL) != (napi_value)&returned)
    return fprintf(stderr, "trim did not return a boolean\n"), 1;
  printf("trim() -> %s\n", returned == 1 ? "true" : "false");
  for (int i = 0; i < N; i++) free(small[i]);
  return 0;
}
