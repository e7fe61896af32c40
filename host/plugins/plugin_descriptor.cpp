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
    return out;
}

}  // namespace relais::host
