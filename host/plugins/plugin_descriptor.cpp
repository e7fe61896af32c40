#include "plugins/plugin_descriptor.hpp"

#include "plugins/plugin_manifest.hpp"
#include "config/json_schema.hpp"
#include "plugins/semver.hpp"

#include <cmath>
#include <set>
#include <stdexcept>

namespace relais::host {
namespace {

std::string required_text(const char *value, const std::string &field) {
    if (!value) throw std::invalid_argument("descriptor field " + field + " is missing");
    return value;
}

void check_schema(const std::string &schema, const std::string &field) {
    try {
        JsonSchema::parse(schema);
    } catch (const std::exception &e) {
        throw std::invalid_argument(field + " is not a usable JSON Schema: " + e.what());
    }
}

bool is_valid_action_name(const std::string &name) { return is_valid_plugin_name(name); }

}  // namespace

const ActionInfo *PluginDescriptor::find_action(const std::string &action) const {
    for (const auto &a : actions)
        if (a.name == action) return &a;
    return nullptr;
}

const WebhookInfo *PluginDescriptor::find_webhook(const std::string &hook) const {
    for (const auto &w : webhooks)
        if (w.name == hook) return &w;
    return nullptr;
}

namespace {

void read_quota_windows(const relais_descriptor *d, PluginDescriptor &out) {
    if (!RELAIS_HAS_FIELD(d, relais_descriptor, quota_window_count) || d->quota_window_count == 0) return;
    if (!d->quota_windows) throw std::invalid_argument("descriptor quota windows array is missing");
    for (size_t i = 0; i < d->quota_window_count; ++i) {
        const relais_quota_window_desc *q = d->quota_windows[i];
        const auto where = "quota window #" + std::to_string(i);
        if (!q || !RELAIS_HAS_FIELD(q, relais_quota_window_desc, per_key))
            throw std::invalid_argument(where + " is missing or too small");
        QuotaWindowInfo info;
        info.scope = required_text(q->scope, where + " scope");
        if (!is_valid_plugin_name(info.scope))
            throw std::invalid_argument(where + " scope \"" + info.scope + "\" is not [a-z][a-z0-9_]{0,31}");
        info.count = q->count;
        info.window_ms = q->window_ms;
        info.per_key = q->per_key != 0;
        if (info.count == 0) throw std::invalid_argument(where + " (" + info.scope + ") allows a count of 0");
        out.quota_windows.push_back(std::move(info));
    }
}

void read_webhooks(const relais_plugin_api &api, const relais_descriptor *d, PluginDescriptor &out) {
    out.has_webhook_handler = api.struct_size >= offsetof(relais_plugin_api, handle_webhook) + sizeof(api.handle_webhook) &&
                              api.handle_webhook;
    if (!RELAIS_HAS_FIELD(d, relais_descriptor, webhook_count) || d->webhook_count == 0) return;
    if (!d->webhooks) throw std::invalid_argument("descriptor webhooks array is missing");
    if (!out.has_webhook_handler)
        throw std::invalid_argument("the plugin declares webhooks but has no handle_webhook function");
    std::set<std::string> seen;
    for (size_t i = 0; i < d->webhook_count; ++i) {
        const relais_webhook_desc *w = d->webhooks[i];
        const auto where = "webhook #" + std::to_string(i);
        if (!w || !RELAIS_HAS_FIELD(w, relais_webhook_desc, max_body_bytes))
            throw std::invalid_argument(where + " is missing or too small");
        WebhookInfo info;
        info.name = required_text(w->name, where + " name");
        if (!is_valid_plugin_name(info.name))
            throw std::invalid_argument(where + " name \"" + info.name + "\" is not [a-z][a-z0-9_]{0,31}");
        if (!seen.insert(info.name).second)
            throw std::invalid_argument("webhook \"" + info.name + "\" is declared twice");
        info.description = required_text(w->description, "webhook " + info.name + " description");
        info.get = (w->methods & RELAIS_HOOK_GET) != 0;
        info.post = (w->methods & RELAIS_HOOK_POST) != 0;
        if (!info.get && !info.post)
            throw std::invalid_argument("webhook \"" + info.name + "\" accepts neither GET nor POST");
        info.max_body_bytes = w->max_body_bytes;
        out.webhooks.push_back(std::move(info));
    }
}

}  // namespace

PluginDescriptor read_descriptor(const relais_plugin_api &api) {
    const relais_descriptor *d = api.descriptor;
    if (!d) throw std::invalid_argument("the plugin gave no descriptor");
    if (d->struct_size < offsetof(relais_descriptor, periodic_task_count) + sizeof(size_t))
        throw std::invalid_argument("descriptor is smaller (" + std::to_string(d->struct_size) +
                                    " bytes) than ABI v1 requires");
    PluginDescriptor out;
    out.name = required_text(d->name, "name");
    out.version = required_text(d->version, "version");
    out.description = required_text(d->description, "description");
    out.settings_schema = required_text(d->settings_schema_json, "settings_schema_json");
    out.has_test = api.test != nullptr;
    if (RELAIS_HAS_FIELD(d, relais_descriptor, flags)) out.quota_per_request = (d->flags & RELAIS_PLUGIN_QUOTA_PER_REQUEST) != 0;

    if (!is_valid_plugin_name(out.name))
        throw std::invalid_argument("descriptor name \"" + out.name + "\" is not [a-z][a-z0-9_]{0,31}");
    if (!SemVer::parse(out.version))
        throw std::invalid_argument("descriptor version \"" + out.version + "\" is not a semantic version");
    check_schema(out.settings_schema, "settings schema");

    if (d->action_count > 0 && !d->actions) throw std::invalid_argument("descriptor actions array is missing");
    std::set<std::string> seen;
    for (size_t i = 0; i < d->action_count; ++i) {
        const relais_action_desc *a = d->actions[i];
        const auto where = "action #" + std::to_string(i);
        if (!a || a->struct_size < offsetof(relais_action_desc, output_schema_json) + sizeof(const char *))
            throw std::invalid_argument(where + " is missing or too small");
        ActionInfo info;
        info.name = required_text(a->name, where + " name");
        if (!is_valid_action_name(info.name))
            throw std::invalid_argument(where + " name \"" + info.name + "\" is not [a-z][a-z0-9_]{0,31}");
        if (!seen.insert(info.name).second)
            throw std::invalid_argument("action \"" + info.name + "\" is declared twice");
        info.description = required_text(a->description, "action " + info.name + " description");
        info.input_schema = required_text(a->input_schema_json, "action " + info.name + " input schema");
        check_schema(info.input_schema, "action " + info.name + " input schema");
        if (a->output_schema_json) {
            info.output_schema = a->output_schema_json;
            check_schema(info.output_schema, "action " + info.name + " output schema");
        }
        if (RELAIS_HAS_FIELD(a, relais_action_desc, job_deadline_seconds)) {
            info.job_only = (a->flags & RELAIS_ACTION_JOB_ONLY) != 0;
            info.job_deadline_seconds = a->job_deadline_seconds;
        }
        out.actions.push_back(std::move(info));
    }

    if (d->quota_count > 0 && !d->quotas) throw std::invalid_argument("descriptor quotas array is missing");
    for (size_t i = 0; i < d->quota_count; ++i) {
        const relais_quota_desc *q = d->quotas[i];
        if (!q || q->struct_size < offsetof(relais_quota_desc, per_day) + sizeof(uint64_t))
            throw std::invalid_argument("quota #" + std::to_string(i) + " is missing or too small");
        QuotaInfo info{required_text(q->scope, "quota #" + std::to_string(i) + " scope"), q->per_second,
                       q->per_day};
        if (!std::isfinite(info.per_second) || info.per_second < 0)
            throw std::invalid_argument("quota \"" + info.scope + "\" has an invalid per_second");
        out.quotas.push_back(std::move(info));
    }

    if (d->periodic_task_count > 0 && !d->periodic_tasks)
        throw std::invalid_argument("descriptor periodic tasks array is missing");
    for (size_t i = 0; i < d->periodic_task_count; ++i) {
        const relais_periodic_desc *t = d->periodic_tasks[i];
        const auto where = "periodic task #" + std::to_string(i);
        if (!t || t->struct_size < offsetof(relais_periodic_desc, start_delay_seconds) + sizeof(uint64_t))
            throw std::invalid_argument(where + " is missing or too small");
        PeriodicTaskInfo info;
        info.name = required_text(t->name, where + " name");
        info.action = required_text(t->action, where + " action");
        info.input = t->input_json ? t->input_json : "{}";
        info.interval_seconds = t->interval_seconds;
        info.start_delay_seconds = t->start_delay_seconds;
        if (!out.find_action(info.action))
            throw std::invalid_argument("periodic task \"" + info.name + "\" runs undeclared action \"" +
                                        info.action + "\"");
        if (info.interval_seconds == 0)
            throw std::invalid_argument("periodic task \"" + info.name + "\" has a zero interval");
        out.periodic_tasks.push_back(std::move(info));
    }

    read_quota_windows(d, out);
    read_webhooks(api, d, out);
    if (RELAIS_HAS_FIELD(d, relais_descriptor, step_timeout_seconds)) out.step_timeout_seconds = d->step_timeout_seconds;
    return out;
}

}  // namespace relais::host
