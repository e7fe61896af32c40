/* A plugin whose jobs take several steps, written in plain C against relais/plugin.h.
 *
 *   count (job only)  {"steps": N, "delay_ms": D, "step_ms": S}
 *       Each step waits S ms (giving way to a cancel or its deadline), then, until N steps
 *       have continued, asks to run again in D ms with the progress {"n": k}; the last step
 *       answers {"continued": N, "step": <its step number>}. Every run of a step counts
 *       itself in the plugin state under "runs:<job key>:<k>", so a test can tell which
 *       steps ran twice.
 *   hang              {"port": P}
 *       Sends a request to 127.0.0.1:P and waits for any answer for as long as the call's
 *       deadline allows: against a server that never answers, it ends at the deadline with
 *       a transient error. Its jobs have an overall deadline of an hour unless they set one.
 *   echo              {}: answers {"ok": true}, for synchronous calls.
 */
#include <relais/plugin.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct relais_plugin_instance {
    const relais_host_services *services;
    relais_host_ctx *host;
};

/* ---- a growing buffer, as a relais_output target ---- */

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

static relais_output buffer_output(buffer *b) {
    relais_output out;
    memset(&out, 0, sizeof out);
    out.struct_size = (uint32_t)offsetof(relais_output, continue_later);  /* a plain v1 output */
    out.host_data = b;
    out.append = buffer_append;
    out.fail = buffer_fail;
    return out;
}

/* ---- tiny readers for the flat JSON objects this plugin receives ---- */

/* The integer after "key": in text (length bytes), or fallback. */
static long long json_int(const char *text, size_t length, const char *key, long long fallback) {
    char pattern[64];
    char *copy;
    const char *at;
    long long value = fallback;
    if (!text || length == 0) return fallback;
    copy = (char *)malloc(length + 1);
    if (!copy) return fallback;
    memcpy(copy, text, length);
    copy[length] = '\0';
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    at = strstr(copy, pattern);
    if (at) {
        at += strlen(pattern);
        while (*at == ' ' || *at == ':') ++at;
        value = strtoll(at, NULL, 10);
    }
    free(copy);
    return value;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int has(const relais_host_services *s, size_t end_of_field) { return s->struct_size >= end_of_field; }
#define HAS_SERVICE(s, field) has((s), offsetof(relais_host_services, field) + sizeof((s)->field))

static int stop_now(const relais_plugin_instance *p, relais_call_ctx *call) {
    return p->services->cancelled(call) || p->services->remaining_ms(call) == 0;
}

/* Waits up to ms, in short slices, unless the call is to stop first: 0 when the time passed. */
static int pause_ms(const relais_plugin_instance *p, relais_call_ctx *call, uint64_t ms) {
    const uint64_t until = now_ms() + ms;
    while (now_ms() < until) {
        if (stop_now(p, call)) return -1;
        usleep(5000);
    }
    return 0;
}

static void count_run(const relais_plugin_instance *p, const char *job_key, long long step) {
    char key[256];
    buffer value = {NULL, 0};
    relais_output out = buffer_output(&value);
    char text[32];
    long long runs = 0;
    snprintf(key, sizeof key, "runs:%s:%lld", job_key, step);
    if (p->services->state_get(p->host, key, &out) == RELAIS_OK && value.data) runs = strtoll(value.data, NULL, 10);
    free(value.data);
    snprintf(text, sizeof text, "%lld", runs + 1);
    p->services->state_put(p->host, key, text, strlen(text));
}

static relais_status fail(const relais_output *out, relais_status status, const char *message) {
    out->fail(out->host_data, message, NULL, 0);
    return status;
}

static relais_status run_count(relais_plugin_instance *p, const relais_call *call, const relais_output *out) {
    const long long steps = json_int(call->input_json, call->input_length, "steps", 0);
    const long long delay = json_int(call->input_json, call->input_length, "delay_ms", 0);
    const long long step_ms = json_int(call->input_json, call->input_length, "step_ms", 0);
    const int revision_2 = RELAIS_HAS_FIELD(call, relais_call, idempotency_key);
    const char *checkpoint = revision_2 ? call->checkpoint_json : NULL;
    const size_t checkpoint_length = revision_2 ? call->checkpoint_length : 0;
    const long long n = json_int(checkpoint, checkpoint_length, "n", 0);
    const char *job_key = revision_2 && call->idempotency_key ? call->idempotency_key : call->call_id;
    char text[128];

    if (!revision_2 || call->step == 0) return fail(out, RELAIS_UNSUPPORTED, "count runs only as a job");
    count_run(p, job_key, n);
    if (step_ms > 0 && pause_ms(p, call->call, (uint64_t)step_ms) != 0)
        return fail(out, RELAIS_TRANSIENT, "the step was interrupted");
    if (n < steps) {
        if (!RELAIS_HAS_FIELD(out, relais_output, continue_later) || !out->continue_later)
            return fail(out, RELAIS_UNSUPPORTED, "this host cannot continue a job later");
        snprintf(text, sizeof text, "{\"n\":%lld}", n + 1);
        out->continue_later(out->host_data, (uint64_t)(delay < 0 ? 0 : delay), text, strlen(text));
        return RELAIS_OK;
    }
    snprintf(text, sizeof text, "{\"continued\":%lld,\"step\":%u}", n, call->step);
    out->append(out->host_data, text, strlen(text));
    return RELAIS_OK;
}

static relais_status run_hang(relais_plugin_instance *p, const relais_call *call, const relais_output *out) {
    const long long port = json_int(call->input_json, call->input_length, "port", 0);
    static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    struct sockaddr_in address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail(out, RELAIS_INTERNAL, "no socket");
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        send(fd, request, sizeof request - 1, MSG_NOSIGNAL) < 0) {
        close(fd);
        return fail(out, RELAIS_TRANSIENT, "cannot reach the upstream");
    }
    for (;;) {
        struct pollfd ready;
        uint64_t remaining = p->services->remaining_ms(call->call);
        int slice;
        if (p->services->cancelled(call->call) || remaining == 0) break;
        slice = remaining > 50 ? 50 : (int)remaining;
        ready.fd = fd;
        ready.events = POLLIN;
        ready.revents = 0;
        if (poll(&ready, 1, slice) > 0) {
            close(fd);
            out->append(out->host_data, "{\"answered\":true}", 17);
            return RELAIS_OK;
        }
    }
    close(fd);
    return fail(out, RELAIS_TRANSIENT, "the upstream did not answer before the deadline");
}

/* ---- the plugin ---- */

static relais_status waiting_init(const relais_host_services *services, relais_host_ctx *host,
                                  relais_plugin_instance **instance, const relais_output *out) {
    relais_plugin_instance *p;
    if (!HAS_SERVICE(services, remaining_ms)) return fail(out, RELAIS_UNSUPPORTED, "this host is too old");
    p = (relais_plugin_instance *)calloc(1, sizeof *p);
    if (!p) return fail(out, RELAIS_INTERNAL, "out of memory");
    p->services = services;
    p->host = host;
    *instance = p;
    return RELAIS_OK;
}

static relais_status waiting_configure(relais_plugin_instance *instance, const char *settings, size_t length,
                                       const relais_output *out) {
    (void)instance, (void)settings, (void)length, (void)out;
    return RELAIS_OK;
}

static relais_status waiting_execute(relais_plugin_instance *instance, const relais_call *call,
                                     const relais_output *out) {
    if (strcmp(call->action, "count") == 0) return run_count(instance, call, out);
    if (strcmp(call->action, "hang") == 0) return run_hang(instance, call, out);
    if (strcmp(call->action, "echo") == 0) {
        out->append(out->host_data, "{\"ok\":true}", 11);
        return RELAIS_OK;
    }
    return fail(out, RELAIS_UNSUPPORTED, "no such action");
}

static void waiting_shutdown(relais_plugin_instance *instance) { free(instance); }

static const relais_action_desc kCount = {
    sizeof(relais_action_desc), "count", "continues later until it has taken the steps asked for",
    "{\"type\":\"object\",\"properties\":{\"steps\":{\"type\":\"integer\",\"minimum\":0},"
    "\"delay_ms\":{\"type\":\"integer\",\"minimum\":0},\"step_ms\":{\"type\":\"integer\",\"minimum\":0}},"
    "\"required\":[\"steps\"],\"additionalProperties\":false}",
    NULL, RELAIS_ACTION_JOB_ONLY, 0};
static const relais_action_desc kHang = {
    sizeof(relais_action_desc), "hang", "waits for an upstream's answer until the call's deadline",
    "{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535}},"
    "\"required\":[\"port\"],\"additionalProperties\":false}",
    NULL, 0, 3600};
static const relais_action_desc kEcho = {sizeof(relais_action_desc), "echo", "answers at once",
                                         "{\"type\":\"object\"}", NULL, 0, 0};
static const relais_action_desc *const kActions[] = {&kCount, &kHang, &kEcho};

static const relais_descriptor kDescriptor = {
    sizeof(relais_descriptor), "waiting", "1.0.0", "jobs of several steps, for the tests",
    "{\"type\":\"object\",\"properties\":{}}", kActions, 3, NULL, 0, NULL, 0, 0, NULL, 0, NULL, 0, 0};

static const relais_plugin_api kApi = {sizeof(relais_plugin_api), RELAIS_ABI_VERSION, &kDescriptor,
                                       waiting_init, waiting_configure, NULL, waiting_execute, waiting_shutdown,
                                       NULL};

RELAIS_EXPORT int relais_plugin_entry(relais_negotiation *negotiation) {
    if (negotiation->host_abi_min > RELAIS_ABI_VERSION || negotiation->host_abi_max < RELAIS_ABI_VERSION) {
        negotiation->abi_version = RELAIS_ABI_VERSION;
        negotiation->api = NULL;
        return -1;
    }
    negotiation->abi_version = RELAIS_ABI_VERSION;
    negotiation->api = &kApi;
    return 0;
}
