#include "jobs/quota_config.hpp"

#include <Poco/JSON/Array.h>

#include <cmath>
#include <stdexcept>

namespace relais::host {
namespace {

using Poco::JSON::Object;

constexpr int64_t kDayMs = 86'400'000;

// A number of a JSON object, or `fallback` when the key is absent.
double number(const Object &o, const std::string &key, double fallback, const std::string &where) {
    if (!o.has(key)) return fallback;
    const auto v = o.get(key);
    if (!v.isNumeric()) throw std::invalid_argument(where + "." + key + " must be a number");
    const auto d = v.convert<double>();
    if (!std::isfinite(d) || d < 0) throw std::invalid_argument(where + "." + key + " must be a number >= 0");
    return d;
}

std::string text(const Object &o, const std::string &key, const std::string &fallback, const std::string &where) {
    if (!o.has(key)) return fallback;
    const auto v = o.get(key);
    if (!v.isString() || v.extract<std::string>().empty())
        throw std::invalid_argument(where + "." + key + " must be a non-empty string");
    return v.extract<std::string>();
}

bool flag(const Object &o, const std::string &key, const std::string &where) {
    if (!o.has(key)) return false;
    const auto v = o.get(key);
    if (!v.isBoolean()) throw std::invalid_argument(where + "." + key + " must be true or false");
    return v.convert<bool>();
}

Object::Ptr entry(const Poco::JSON::Array &list, size_t i, const std::string &where) {
    const auto o = list.getObject(static_cast<unsigned>(i));
    if (!o) throw std::invalid_argument(where + " must be an object");
    return o;
}

Poco::JSON::Array::Ptr list(const Object &a, const std::string &key) {
    if (!a.has(key)) return nullptr;
    const auto l = a.getArray(key);
    if (!l) throw std::invalid_argument("configure's " + key + " must be an array");
    return l;
}

// The windows a legacy quota of a scope other than "requests" stands for.
void add_legacy(std::vector<QuotaWindow> &windows, const std::string &scope, double per_second, int64_t per_day) {
    if (auto w = window_for_rate(per_second)) {
        w->scope = scope;
        windows.push_back(*w);
    }
    if (per_day > 0) windows.emplace_back(scope, per_day, kDayMs, false);
}

void drop_scope(std::vector<QuotaWindow> &windows, const std::string &scope) {
    std::erase_if(windows, [&](const QuotaWindow &w) { return w.scope == scope; });
}

}  // namespace

QuotaSettings quota_settings_for(const std::vector<QuotaInfo> &quotas, const std::vector<QuotaWindowInfo> &declared,
                                 const Object::Ptr &adjustments) {
    QuotaSettings s;
    if (!declared.empty()) {
        for (const auto &w : declared)
            s.windows.emplace_back(w.scope.empty() ? kRequestsScope : w.scope, static_cast<int64_t>(w.count),
                                   static_cast<int64_t>(w.window_ms), w.per_key);
    } else {
        for (const auto &q : quotas) {
            if (q.scope.empty() || q.scope == kRequestsScope) {
                s.per_second = q.per_second;
                s.per_day = static_cast<int64_t>(q.per_day);
            } else {
                drop_scope(s.windows, q.scope);
                add_legacy(s.windows, q.scope, q.per_second, static_cast<int64_t>(q.per_day));
            }
        }
    }
    if (!adjustments) return s;

    if (const auto windows = list(*adjustments, "quota_windows")) {
        s.windows.clear();
        s.per_second = 0;
        for (size_t i = 0; i < windows->size(); ++i) {
            const auto where = "configure's quota_windows[" + std::to_string(i) + "]";
            const auto w = entry(*windows, i, where);
            if (!w->has("count")) throw std::invalid_argument(where + " needs a count");
            if (!w->has("window_seconds")) throw std::invalid_argument(where + " needs window_seconds");
            const auto count = number(*w, "count", 0, where);
            if (count < 1 || count != std::floor(count) || count > 1e15)
                throw std::invalid_argument(where + ".count must be a whole number >= 1");
            const auto seconds = number(*w, "window_seconds", 0, where);
            if (seconds > 31 * 86'400.0) throw std::invalid_argument(where + ".window_seconds must be at most 31 days");
            s.windows.emplace_back(text(*w, "scope", kRequestsScope, where), static_cast<int64_t>(count),
                                   static_cast<int64_t>(std::llround(seconds * 1000)), flag(*w, "per_key", where));
        }
    }
    if (const auto legacy = list(*adjustments, "quotas")) {
        for (size_t i = 0; i < legacy->size(); ++i) {
            const auto where = "configure's quotas[" + std::to_string(i) + "]";
            const auto q = entry(*legacy, i, where);
            const auto scope = text(*q, "scope", kRequestsScope, where);
            const auto per_day = number(*q, "per_day", scope == kRequestsScope ? static_cast<double>(s.per_day) : 0, where);
            if (per_day != std::floor(per_day) || per_day > 1e15)
                throw std::invalid_argument(where + ".per_day must be a whole number");
            if (scope == kRequestsScope) {
                s.per_second = number(*q, "per_second", s.per_second, where);
                s.per_day = static_cast<int64_t>(per_day);
            } else {
                drop_scope(s.windows, scope);
                try {
                    add_legacy(s.windows, scope, number(*q, "per_second", 0, where), static_cast<int64_t>(per_day));
                } catch (const std::invalid_argument &e) {
                    throw std::invalid_argument(where + ": " + e.what());
                }
            }
        }
    }
    return s;
}

}  // namespace relais::host
