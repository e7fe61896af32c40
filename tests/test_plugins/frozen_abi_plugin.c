/* A plugin built against the first published relais/plugin.h (a frozen copy in
 * tests/frozen_abi/), to prove that the host keeps loading and running plugins built before
 * ABI 1 grew: its structs are the old, smaller ones, and it never looks past them.
 *
 *   echo      any object: answers it unchanged.
 *   remember  {"key": K, "value": V}: stores V under K in the plugin state, reads it back
 *             and answers {"key": K, "value": V, "deadline": "none" | "set"}.
 */
#include <relais/plugin.h>

#include <stdlib.h>
#include <string.h>

/* The frozen header has none of revision 2's fields: fail the build if the include path let
 * the current header in instead. */
#ifdef RELAIS_CAP_JOBS
#error "frozen_abi_plugin must be built against tests/frozen_abi/relais/plugin.h"
#endif

struct relais_plugin_instance {
    const relais_host_services *services;
    relais_host_ctx *host;
};

typedef struct buffer {
    char *data;
    size_t length;
} buffer;

static void buffer_append(void *self, const char *bytes, size_t length) {
    buffer *b = (buffer *)self;
    char *grown = (char *)realloc(b->data, b->length + length + 1);
    if (!grown) return;
    memcpy(grown + b->length, bytes, length);
    b->length += length;
    grown[b->length] = '\0';
    b->data = grown;
}

static void buffer_fail(void *self, const char *message, const char *detail, uint64_t retry_after_ms) {
    (void)self, (void)message, (void)detail, (void)retry_after_ms;
}

/* The string value of "key" in a flat JSON object without escapes, copied; NULL when absent. */
static char *json_string(const char *text, size_t length, const char *key) {
    char pattern[64];
    const char *at, *end, *start;
    char *copy, *value;
    size_t n = strlen(key);
    if (n + 3 > sizeof pattern) return NULL;
    pattern[0] = '"';
    memcpy(pattern + 1, key, n);
    pattern[n + 1] = '"';
    pattern[n + 2] = '\0';
    copy = (char *)malloc(length + 1);
    if (!copy) return NULL;
    memcpy(copy, text, length);
    copy[length] = '\0';
    value = NULL;
    at = strstr(copy, pattern);
    if (at) {
        start = strchr(at + strlen(pattern), '"');
        end = start ? strchr(start + 1, '"') : NULL;
        if (start && end) {
            value = (char *)malloc((size_t)(end - start));
            if (value) {
                memcpy(value, start + 1, (size_t)(end - start - 1));
                value[end - start - 1] = '\0';
            }
        }
    }
    free(copy);
    return value;
}

static void put(const relais_output *out, const char *text) { out->append(out->host_data, text, strlen(text)); }

static relais_status init(const relais_host_services *services, relais_host_ctx *host,
                          relais_plugin_instance **instance, const relais_output *out) {
    (void)out;
    *instance = (relais_plugin_instance *)calloc(1, sizeof **instance);
    if (!*instance) return RELAIS_INTERNAL;
    (*instance)->services = services;
    (*instance)->host = host;
    return RELAIS_OK;
}

static relais_status configure(relais_plugin_instance *instance, const char *json, size_t length,
                               const relais_output *out) {
    (void)instance, (void)json, (void)length, (void)out;
    return RELAIS_OK;
}

static relais_status remember(relais_plugin_instance *self, const relais_call *call, const relais_output *out) {
    relais_status status;
    buffer read = {NULL, 0};
    relais_output reader;
    char *key = json_string(call->input_json, call->input_length, "key");
    char *value = json_string(call->input_json, call->input_length, "value");
    if (!key || !value) {
        free(key), free(value);
        out->fail(out->host_data, "remember needs \"key\" and \"value\"", NULL, 0);
        return RELAIS_INVALID_INPUT;
    }
    status = self->services->state_put(self->host, key, value, strlen(value));
    if (status == RELAIS_OK) {
        memset(&reader, 0, sizeof reader);
        reader.struct_size = sizeof reader;
        reader.host_data = &read;
        reader.append = buffer_append;
        reader.fail = buffer_fail;
        status = self->services->state_get(self->host, key, &reader);
    }
    if (status == RELAIS_OK) {
        put(out, "{\"key\":\"");
        put(out, key);
        put(out, "\",\"value\":\"");
        if (read.data) put(out, read.data);
        put(out, "\",\"deadline\":\"");
        put(out, self->services->remaining_ms(call->call) == UINT64_MAX ? "none" : "set");
        put(out, "\"}");
    } else {
        out->fail(out->host_data, "the host's state did not answer", NULL, 0);
    }
    free(read.data);
    free(key);
    free(value);
    return status;
}

static relais_status execute(relais_plugin_instance *self, const relais_call *call, const relais_output *out) {
    if (strcmp(call->action, "echo") == 0) {
        out->append(out->host_data, call->input_json, call->input_length);
        return RELAIS_OK;
    }
    if (strcmp(call->action, "remember") == 0) return remember(self, call, out);
    out->fail(out->host_data, "unknown action", NULL, 0);
    return RELAIS_UNSUPPORTED;
}

static void shutdown(relais_plugin_instance *instance) { free(instance); }

static const relais_action_desc echo_action = {sizeof(relais_action_desc), "echo", "Answers its input",
                                               "{\"type\":\"object\"}", NULL};
static const relais_action_desc remember_action = {
    sizeof(relais_action_desc), "remember", "Stores a value in the plugin state and reads it back",
    "{\"type\":\"object\",\"required\":[\"key\",\"value\"],\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"value\":{\"type\":\"string\"}}}",
    NULL};
static const relais_action_desc *const actions[] = {&echo_action, &remember_action};

static const relais_descriptor descriptor = {
    sizeof(relais_descriptor), "frozen_abi", "1.0.0", "Built against the first published ABI 1 header",
    "{\"type\":\"object\",\"properties\":{}}", actions, 2, NULL, 0, NULL, 0, 0};

static const relais_plugin_api api = {sizeof(relais_plugin_api), 1u, &descriptor, init, configure, NULL, execute,
                                      shutdown};

RELAIS_EXPORT int relais_plugin_entry(relais_negotiation *negotiation) {
    if (!negotiation || negotiation->host_abi_min > 1u || negotiation->host_abi_max < 1u) {
        if (negotiation) negotiation->abi_version = 1u;
        return 1;
    }
    negotiation->abi_version = 1u;
    negotiation->api = &api;
    return 0;
}
