/*
 * relais/plugin.h: the contract between the Relais host and a connector plugin.
 *
 * This header is pure C and is the only thing a plugin and the host share. It must keep
 * compiling as C99 and C++ and it only ever grows: a field or function once published keeps
 * its place and its meaning for as long as its ABI version is supported.
 *
 * ---------------------------------------------------------------------------------------
 * How a plugin is found and opened
 * ---------------------------------------------------------------------------------------
 * A plugin is a shared library `NAME.so` with a manifest `NAME.manifest.json` beside it
 * (name, version, ABI range, sha256 of the library; the SDK's CMake function writes it).
 * The host reads the manifest and checks the hash before it loads the library, loads it
 * with local symbol scope and immediate binding, and looks up exactly one symbol:
 *
 *     int relais_plugin_entry(relais_negotiation *negotiation);
 *
 * Everything else in the library should be hidden (-fvisibility=hidden).
 *
 * ---------------------------------------------------------------------------------------
 * Versioning
 * ---------------------------------------------------------------------------------------
 * Negotiation: the host fills `host_abi_min`/`host_abi_max`; the plugin picks the highest
 * version it supports within that range, writes it to `abi_version`, points `api` at its
 * function table and returns 0. If it supports none, it writes the highest version it does
 * speak to `abi_version` and returns non-zero, so the host can name both in its refusal.
 *
 * Every struct that crosses begins with `uint32_t struct_size`, set by whoever fills it to
 * sizeof() as that side was compiled. A reader uses a field only when struct_size covers it
 * (RELAIS_HAS_FIELD below); new fields are only ever appended.
 *
 * ---------------------------------------------------------------------------------------
 * Ownership
 * ---------------------------------------------------------------------------------------
 * Nothing allocated by one side is freed by the other. Strings are UTF-8; structured data is
 * a JSON document. Pointers passed into a call are valid only for that call unless stated.
 * Results and errors are handed to the host through `relais_output` callbacks, which copy
 * the bytes at once: the plugin may free or reuse its buffers as soon as they return.
 * Descriptor data (relais_descriptor and what it points at) is owned by the plugin and must
 * stay valid and unchanged until the library is unloaded.
 *
 * No C++ exception, longjmp or C++ type crosses this boundary: every entry point catches
 * everything and reports RELAIS_INTERNAL instead (the C++ helper relais/plugin.hpp does it).
 *
 * ---------------------------------------------------------------------------------------
 * Lifecycle and threads
 * ---------------------------------------------------------------------------------------
 *   entry -> init -> configure (again at any time) -> test / execute (many, concurrent) -> shutdown
 *
 * - init:      once per instance; the host may create several instances of one library
 *              (for example the old and new configuration during an upgrade).
 * - configure: may be called while execute calls are in flight on the same instance; the
 *              plugin must switch settings atomically (calls already running keep the
 *              settings they started with). Never called concurrently with itself.
 * - execute:   must be safe to call from many threads at once on one instance.
 * - test:      may run concurrently with execute.
 * - shutdown:  called once, after every other call on that instance has returned.
 */
#ifndef RELAIS_PLUGIN_H
#define RELAIS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI versions this header describes. Version 1 is the first published one. */
#define RELAIS_ABI_VERSION 1u

/* The one symbol the host looks up. */
#define RELAIS_ENTRY_SYMBOL "relais_plugin_entry"

/* True when a struct received from the other side is large enough to hold FIELD. */
#define RELAIS_HAS_FIELD(ptr, type, field) \
    ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

#if defined(_WIN32)
#define RELAIS_EXPORT __declspec(dllexport)
#else
#define RELAIS_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------
 * Status and error classes
 * ---------------------------------------------------------------------------------------
 * The value every entry point returns. The host's retry policy is driven by the class,
 * never by parsing a message. The numbers are stable forever. */
typedef enum relais_status {
    RELAIS_OK = 0,
    RELAIS_INVALID_CONFIG = 1, /* settings are wrong: fix the configuration, no retry   */
    RELAIS_INVALID_INPUT = 2,  /* the action's input is wrong: no retry                  */
    RELAIS_UNAUTHORIZED = 3,   /* credentials refused upstream: no retry                 */
    RELAIS_FORBIDDEN = 4,      /* credentials valid but not allowed: no retry            */
    RELAIS_NOT_FOUND = 5,      /* the thing asked for does not exist upstream            */
    RELAIS_RATE_LIMITED = 6,   /* quota reached: retry after the given delay             */
    RELAIS_TRANSIENT = 7,      /* outage, timeout, 5xx: retry with backoff               */
    RELAIS_PERMANENT = 8,      /* upstream refused for a business reason: no retry       */
    RELAIS_INTERNAL = 9,       /* a bug or unexpected state in the plugin                */
    RELAIS_UNSUPPORTED = 10    /* the plugin does not implement this call or action      */
} relais_status;

typedef enum relais_log_level {
    RELAIS_LOG_TRACE = 0,
    RELAIS_LOG_DEBUG = 1,
    RELAIS_LOG_INFO = 2,
    RELAIS_LOG_WARN = 3,
    RELAIS_LOG_ERROR = 4
} relais_log_level;

/* Opaque handles. The suffix says who owns the object behind it. */
typedef struct relais_host_ctx relais_host_ctx;         /* host's, one per plugin instance */
typedef struct relais_call_ctx relais_call_ctx;         /* host's, one per execute/test call */
typedef struct relais_plugin_instance relais_plugin_instance; /* plugin's, made by init */

/* ---------------------------------------------------------------------------------------
 * Output: how a plugin hands results and errors to the host
 * --------------------------------------------------------------------------------------- */
typedef struct relais_output {
    uint32_t struct_size;
    void *host_data; /* pass back as the first argument of every callback */

    /* Appends bytes to the call's result document (a JSON value, usually an object).
     * May be called several times; the pieces are concatenated. */
    void (*append)(void *host_data, const char *bytes, size_t length);

    /* Describes why the call failed. `message` is one human-readable line; `detail_json`
     * is a JSON object with machine-readable detail, or NULL. `retry_after_ms` is the
     * delay the upstream asked for (RELAIS_RATE_LIMITED, RELAIS_TRANSIENT), or 0.
     * Call it once, before returning a status other than RELAIS_OK. */
    void (*fail)(void *host_data, const char *message, const char *detail_json,
                 uint64_t retry_after_ms);
} relais_output;

/* ---------------------------------------------------------------------------------------
 * Host services: what the host offers a plugin, given to init
 * ---------------------------------------------------------------------------------------
 * Append-only. A plugin checks RELAIS_HAS_FIELD before using a service added after v1. */
/* A follow-up job a plugin asks the host to run (see relais_host_services.enqueue). */
typedef struct relais_job_request {
    uint32_t struct_size;
    const char *action;          /* one of this plugin's actions                          */
    const char *input_json;      /* its input; NULL means {}                              */
    const char *idempotency_key; /* NULL, or a key unique per connector: enqueuing again
                                    with it returns the existing job, never a second run  */
    uint64_t delay_ms;           /* run no earlier than this from now                     */
    uint32_t max_attempts;       /* 0: the connector's retry policy decides               */
} relais_job_request;

typedef struct relais_host_services {
    uint32_t struct_size;
    uint32_t abi_version; /* the negotiated version */

    /* Logging. The host routes it to the logger `relais.plugin.<name>` and applies that
     * logger's level. The host redacts configured secret values from every line. */
    void (*log)(relais_host_ctx *host, relais_log_level level, const char *message);
    /* Lets a plugin skip building a message nobody will see. Non-zero when enabled. */
    int (*log_enabled)(relais_host_ctx *host, relais_log_level level);

    /* ---- Durable work. A host without a job store (the standalone CLI) answers
     * RELAIS_UNSUPPORTED to each of these. ---- */

    /* Enqueues a job of this plugin, e.g. "poll the status of flux X in 10 minutes". On
     * success appends {"job_id": N, "created": true|false} to `out` (false: the idempotency
     * key already named a job, which is the one returned). */
    relais_status (*enqueue)(relais_host_ctx *host, const relais_job_request *request, const relais_output *out);

    /* A small durable key-value state private to this plugin: tokens, cursors, sync states.
     * state_get appends the value to `out`, or returns RELAIS_NOT_FOUND. Values are bytes. */
    relais_status (*state_get)(relais_host_ctx *host, const char *key, const relais_output *out);
    relais_status (*state_put)(relais_host_ctx *host, const char *key, const char *value, size_t length);
    relais_status (*state_delete)(relais_host_ctx *host, const char *key);

    /* ---- Per call: `call` is relais_call.call (or the test's call context). A NULL call
     * context is accepted and means "no quota, never cancelled, no deadline". ---- */

    /* Asks for `count` units of the connector's quota (one per upstream request) before
     * making requests, waiting up to `max_wait_ms`. RELAIS_OK when granted; otherwise
     * RELAIS_RATE_LIMITED with the wait still needed in *retry_after_ms. Only plugins whose
     * descriptor has RELAIS_PLUGIN_QUOTA_PER_REQUEST need it: for the others the host
     * charges one unit per action before calling execute. */
    relais_status (*quota_acquire)(relais_call_ctx *call, uint32_t count, uint64_t max_wait_ms,
                                   uint64_t *retry_after_ms);
    /* Non-zero once the call should stop early: its job was cancelled, the host is stopping,
     * or its deadline has passed. Long actions check it between upstream requests. */
    int (*cancelled)(relais_call_ctx *call);
    /* Milliseconds left before the call's deadline; UINT64_MAX when it has none. */
    uint64_t (*remaining_ms)(relais_call_ctx *call);
} relais_host_services;

/* ---------------------------------------------------------------------------------------
 * Self-description
 * --------------------------------------------------------------------------------------- */

/* One action the plugin can execute. */
typedef struct relais_action_desc {
    uint32_t struct_size;
    const char *name;              /* [a-z][a-z0-9_]*                                   */
    const char *description;       /* one line                                          */
    const char *input_schema_json; /* JSON Schema (draft 2020-12 subset) of the input   */
    const char *output_schema_json; /* JSON Schema of the result, or NULL               */
} relais_action_desc;

/* A default quota on the upstream API, which the host enforces. A configuration may
 * override it. `scope` names what it counts ("requests"). 0 means no limit. */
typedef struct relais_quota_desc {
    uint32_t struct_size;
    const char *scope;
    double per_second;
    uint64_t per_day;
} relais_quota_desc;

/* A task the host runs periodically by executing `action` with `input_json`. */
typedef struct relais_periodic_desc {
    uint32_t struct_size;
    const char *name;
    const char *action;
    const char *input_json;        /* NULL means {} */
    uint64_t interval_seconds;
    uint64_t start_delay_seconds;
} relais_periodic_desc;

typedef struct relais_descriptor {
    uint32_t struct_size;
    const char *name;        /* [a-z][a-z0-9_]{0,31}; equals the manifest's name */
    const char *version;     /* semantic version, equals the manifest's version  */
    const char *description; /* one line                                         */

    /* JSON Schema of the settings object. Each property may carry "default" and
     * "secret": true (the host never logs or returns a secret's value). */
    const char *settings_schema_json;

    const relais_action_desc *const *actions; /* `action_count` pointers */
    size_t action_count;

    const relais_quota_desc *const *quotas; /* defaults; may be empty */
    size_t quota_count;

    const relais_periodic_desc *const *periodic_tasks; /* may be empty */
    size_t periodic_task_count;

    uint64_t flags; /* RELAIS_PLUGIN_* below */
} relais_descriptor;

/* The plugin asks for quota itself, per upstream request (relais_host_services.quota_acquire),
 * instead of the host charging one unit per action. */
#define RELAIS_PLUGIN_QUOTA_PER_REQUEST 0x1u

/* ---------------------------------------------------------------------------------------
 * Calls
 * --------------------------------------------------------------------------------------- */
typedef struct relais_call {
    uint32_t struct_size;
    const char *action;     /* one of the descriptor's actions                   */
    const char *input_json; /* validated against the action's input schema      */
    size_t input_length;
    relais_call_ctx *call;  /* for per-call host services (cancellation, quota)  */
    const char *call_id;    /* unique per call; the job id when run as a job     */
} relais_call;

/* ---------------------------------------------------------------------------------------
 * The plugin's function table, returned by negotiation
 * --------------------------------------------------------------------------------------- */
typedef struct relais_plugin_api {
    uint32_t struct_size;
    uint32_t abi_version;
    const relais_descriptor *descriptor;

    /* Creates an instance. `services` and `host` stay valid until shutdown returns.
     * On failure, describe it through `out` and return an error status. */
    relais_status (*init)(const relais_host_services *services, relais_host_ctx *host,
                          relais_plugin_instance **instance, const relais_output *out);

    /* Applies settings (a JSON object already validated against the settings schema, with
     * defaults filled in and secret references resolved). On failure the instance keeps
     * its previous settings. The plugin may append a JSON object to `out` whose optional
     * keys "quotas" and "periodic_tasks" adjust the declared defaults for these settings
     * (e.g. a production environment with larger quotas). */
    relais_status (*configure)(relais_plugin_instance *instance, const char *settings_json,
                               size_t settings_length, const relais_output *out);

    /* The "Test" button: checks credentials and reachability with the current settings.
     * Appends {"steps":[{"name":..., "ok":true|false, "message":...}, ...]} to `out`.
     * Returns RELAIS_OK when every step passed, else the class of the failing step.
     * NULL when the plugin has no connection test. */
    relais_status (*test)(relais_plugin_instance *instance, relais_call_ctx *call,
                          const relais_output *out);

    /* Runs one action. Appends the result JSON to `out` on success. */
    relais_status (*execute)(relais_plugin_instance *instance, const relais_call *call,
                             const relais_output *out);

    /* Releases the instance. No other call on it is running or will follow. */
    void (*shutdown)(relais_plugin_instance *instance);
} relais_plugin_api;

/* ---------------------------------------------------------------------------------------
 * Negotiation
 * --------------------------------------------------------------------------------------- */
typedef struct relais_negotiation {
    uint32_t struct_size;
    uint32_t host_abi_min;              /* in: oldest version the host speaks      */
    uint32_t host_abi_max;              /* in: newest version the host speaks      */
    uint32_t abi_version;               /* out: agreed version, or plugin's newest */
    const relais_plugin_api *api;       /* out: the plugin's table, static         */
} relais_negotiation;

typedef int (*relais_entry_fn)(relais_negotiation *negotiation);

#ifdef __cplusplus
}
#endif

#endif /* RELAIS_PLUGIN_H */
