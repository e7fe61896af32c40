#include "observability/plugin_metrics.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>

namespace relais::host {
namespace {

constexpr std::string_view kDroppedFamily = "relais_plugin_series_dropped_total";

bool is_name(std::string_view s, bool first_may_be_underscore) {
    if (s.empty()) return false;
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!lower(s[0]) && !(first_may_be_underscore && s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [&](char c) { return lower(c) || digit(c) || c == '_'; });
}

// The labels of a sample, by name; throws std::invalid_argument saying what is wrong.
std::vector<std::pair<std::string, std::string>> parse_labels(const char *labels_json) {
    std::vector<std::pair<std::string, std::string>> labels;
    if (!labels_json || !*labels_json) return labels;
    Poco::Dynamic::Var parsed;
    // The parser refuses text that is not UTF-8, escapes of lone surrogates included:
    // Prometheus would refuse the whole scrape over one such label value.
    try {
        parsed = Poco::JSON::Parser().parse(labels_json);
    } catch (const std::exception &) {
        throw std::invalid_argument("its labels are not JSON");
    }
    const auto object = parsed.type() == typeid(Poco::JSON::Object::Ptr) ? parsed.extract<Poco::JSON::Object::Ptr>()
                                                                         : Poco::JSON::Object::Ptr();
    if (!object) throw std::invalid_argument("its labels are not a JSON object");
    if (object->size() > PluginMetrics::kMaxLabels)
        throw std::invalid_argument("it has " + std::to_string(object->size()) + " labels, more than " +
                                    std::to_string(PluginMetrics::kMaxLabels));
    for (const auto &[name, value] : *object) {
        if (!is_name(name, true) || name.rfind("__", 0) == 0)
            throw std::invalid_argument("its label name \"" + escaped(name) + "\" is not [a-z_][a-z0-9_]*");
        if (name == "connector" || name == "le")
            throw std::invalid_argument("its label name \"" + name + "\" is the host's");
        if (!value.isString()) throw std::invalid_argument("its label " + name + " is not a string");
        auto text = value.extract<std::string>();
        if (text.size() > PluginMetrics::kMaxLabelValueBytes)
            throw std::invalid_argument("its label " + name + " is longer than " +
                                        std::to_string(PluginMetrics::kMaxLabelValueBytes) + " bytes");
        labels.emplace_back(name, std::move(text));
    }
    std::sort(labels.begin(), labels.end());
    return labels;
}

std::size_t bucket_of(double value) {
    for (std::size_t i = 0; i < kBucketBounds.size(); ++i)
        if (value <= kBucketBounds[i]) return i;  // le: "less or equal"
    return kBucketBounds.size();
}

std::string label_text(const std::string &connector, const std::vector<std::pair<std::string, std::string>> &labels) {
    std::string text = "connector=\"" + escaped(connector) + "\"";
    for (const auto &[name, value] : labels) text.append(",").append(name).append("=\"").append(escaped(value)).append("\"");
    return text;
}

}  // namespace

std::optional<std::string> PluginMetrics::add(const std::string &connector, const char *name, const char *labels_json,
                                              double value) noexcept {
    return record(Kind::counter, connector, name, labels_json, value);
}

std::optional<std::string> PluginMetrics::observe(const std::string &connector, const char *name,
                                                  const char *labels_json, double value) noexcept {
    return record(Kind::histogram, connector, name, labels_json, value);
}

std::optional<std::string> PluginMetrics::record(Kind kind, const std::string &connector, const char *name,
                                                 const char *labels_json, double value) noexcept {
    const std::string_view shown = name ? name : "(null)";
    try {
        const auto refused = [&](const std::string &why) {
            return report_once(connector, "name " + std::string(shown),
                               "metric \"" + escaped(shown.substr(0, kMaxNameLength)) + "\" of connector " + connector +
                                   " ignored: " + why);
        };
        if (!is_name(connector, false)) return std::nullopt;  // not a plugin the loader accepted
        if (!name || !is_name(name, false) || shown.size() > kMaxNameLength)
            return refused("its name is not [a-z][a-z0-9_]* of at most " + std::to_string(kMaxNameLength) +
                           " characters");
        if (!std::isfinite(value) || (kind == Kind::counter && value < 0))
            return refused(kind == Kind::counter ? "a counter grows by a finite value >= 0, not " + number_of(value)
                                                 : "an observation is a finite number, not " + number_of(value));
        Labels labels;
        try {
            labels = parse_labels(labels_json);
        } catch (const std::invalid_argument &e) {
            return refused(e.what());
        }
        const auto other_kind = [&] {
            return refused(std::string("it is already a ") + (kind == Kind::counter ? "histogram" : "counter"));
        };

        {
            std::shared_lock lock(mutex_);
            if (const auto c = connectors_.find(connector); c != connectors_.end()) {
                if (const auto f = c->second.families.find(shown); f != c->second.families.end()) {
                    if (f->second.kind != kind) return other_kind();
                    if (const auto s = f->second.series.find(labels); s != f->second.series.end()) {
                        apply(kind, *s->second, value);
                        return std::nullopt;
                    }
                }
            }
        }

        std::unique_lock lock(mutex_);
        auto &owner = connectors_[connector];
        auto f = owner.families.find(shown);
        if (f != owner.families.end()) {
            if (f->second.kind != kind) {
                lock.unlock();
                return other_kind();
            }
            if (const auto s = f->second.series.find(labels); s != f->second.series.end()) {
                apply(kind, *s->second, value);  // made meanwhile by another thread
                return std::nullopt;
            }
        }
        if (owner.series >= kMaxSeriesPerConnector) {
            owner.dropped.fetch_add(1, std::memory_order_relaxed);
            lock.unlock();
            return report_once(connector, "series limit",
                               "connector " + connector + " has " + std::to_string(kMaxSeriesPerConnector) +
                                   " metric series: samples of further series are dropped (counted in " +
                                   std::string(kDroppedFamily) + ")");
        }
        if (f == owner.families.end()) {
            const auto base = "relais_plugin_" + connector + "_" + std::string(shown);
            const auto exposed = kind == Kind::counter ? base + "_total" : base;
            const auto names = names_of(kind, exposed);
            for (const auto &n : names)
                if (const auto t = taken_.find(n); t != taken_.end() || n == kDroppedFamily) {
                    const auto by = t != taken_.end() ? t->second : std::string("the host");
                    lock.unlock();
                    return refused("its name " + n + " is taken by " + by);
                }
            for (const auto &n : names) taken_.emplace(n, "metric " + std::string(shown) + " of connector " + connector);
            f = owner.families.emplace(std::string(shown), Family{kind, exposed, {}}).first;
        }
        auto &series = f->second.series.emplace(std::move(labels), std::make_unique<Series>()).first->second;
        ++owner.series;
        apply(kind, *series, value);
        return std::nullopt;
    } catch (...) {
        return std::nullopt;  // out of memory: the sample is lost, the plugin goes on
    }
}

void PluginMetrics::apply(Kind kind, Series &series, double value) {
    series.sum.fetch_add(value, std::memory_order_relaxed);
    if (kind == Kind::histogram) series.counts[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::string> PluginMetrics::names_of(Kind kind, const std::string &exposed) {
    if (kind == Kind::counter) return {exposed};
    return {exposed, exposed + "_bucket", exposed + "_sum", exposed + "_count"};
}

std::optional<std::string> PluginMetrics::report_once(const std::string &connector, const std::string &key,
                                                      const std::string &message) {
    std::lock_guard lock(reported_mutex_);
    auto &names = reported_[connector];
    if (names.size() >= kMaxReportedNames || !names.insert(key).second) return std::nullopt;
    return message;
}

void PluginMetrics::render(FamilyTexts &families) const {
    std::shared_lock lock(mutex_);
    if (connectors_.empty()) return;  // no plugin records metrics: nothing to say
    auto &dropped = families[std::string(kDroppedFamily)];
    family(dropped, kDroppedFamily, "counter",
           "Plugin metric samples dropped because their connector had reached " +
               std::to_string(kMaxSeriesPerConnector) + " series, by connector.");
    for (const auto &[connector, owner] : connectors_) {
        sample(dropped, kDroppedFamily, "connector=\"" + escaped(connector) + "\"",
               std::to_string(owner.dropped.load(std::memory_order_relaxed)));
        for (const auto &[name, f] : owner.families) {
            auto &out = families[f.exposed];
            const bool counter = f.kind == Kind::counter;
            family(out, f.exposed, counter ? "counter" : "histogram",
                   "Metric " + name + " of the " + connector + " connector.");
            for (const auto &[labels, series] : f.series) {
                const auto text = label_text(connector, labels);
                const auto sum = number_of(series->sum.load(std::memory_order_relaxed));
                if (counter) {
                    sample(out, f.exposed, text, sum);
                    continue;
                }
                std::uint64_t cumulative = 0;
                for (std::size_t i = 0; i < series->counts.size(); ++i) {
                    cumulative += series->counts[i].load(std::memory_order_relaxed);
                    sample(out, f.exposed + "_bucket", text + ",le=\"" + std::string(kBucketLabels[i]) + "\"",
                           std::to_string(cumulative));
                }
                sample(out, f.exposed + "_sum", text, sum);
                sample(out, f.exposed + "_count", text, std::to_string(cumulative));
            }
        }
    }
}

}  // namespace relais::host
