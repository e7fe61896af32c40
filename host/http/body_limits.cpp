#include "http/body_limits.hpp"

#include <Poco/JSON/Object.h>

#include <algorithm>

namespace relais::host::http {

std::uint64_t BodyLimits::needed_for(const DeclaredInput &input) {
    return input.bytes >= kMaxBytes - kInputMargin ? kMaxBytes : input.bytes + kInputMargin;
}

bool BodyLimits::declare(const std::string &connector, std::optional<DeclaredInput> largest) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = declared_.find(connector);
    if (!largest) {
        if (it == declared_.end()) return false;
        declared_.erase(it);
        return true;
    }
    if (it != declared_.end() && it->second == *largest) return false;
    declared_[connector] = std::move(*largest);
    return true;
}

std::optional<DeclaredInput> BodyLimits::largest_locked() const {
    std::optional<DeclaredInput> largest;
    for (const auto &[connector, input] : declared_)
        if (!largest || input.bytes > largest->bytes) largest = input;
    return largest;
}

std::optional<DeclaredInput> BodyLimits::largest() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return largest_locked();
}

std::uint64_t BodyLimits::limit(BodyKind kind) const {
    if (configured_) return *configured_;
    if (kind == BodyKind::standard) return kDefaultBytes;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto largest = largest_locked();
    return largest ? std::max(kDefaultBytes, needed_for(*largest)) : kDefaultBytes;
}

std::optional<DeclaredInput> BodyLimits::declared_input_too_large() const {
    if (!configured_) return std::nullopt;
    const auto declared = largest();
    if (declared && needed_for(*declared) > *configured_) return declared;
    return std::nullopt;
}

ApiError BodyLimits::too_large(BodyKind kind, std::optional<std::uint64_t> announced) const {
    const std::uint64_t bytes = limit(kind);
    std::string message = (announced ? "request body of " + std::to_string(*announced) + " bytes exceeds"
                                     : std::string("request body exceeds")) +
                          " the limit of " + std::to_string(bytes) + " bytes" +
                          (configured_ ? std::string(" set by ") + kSetting : std::string("; ") + kSetting + " raises it");
    Poco::JSON::Object::Ptr details = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    details->set("limit_bytes", bytes);
    details->set("setting", std::string(kSetting));
    if (const auto declared = largest()) {
        message += "; the largest declared input is " + std::to_string(declared->bytes) + " bytes, in connector " +
                   declared->connector + " action " + declared->action;
        Poco::JSON::Object::Ptr input = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        input->set("connector", declared->connector);
        input->set("action", declared->action);
        input->set("bytes", declared->bytes);
        details->set("largest_declared_input", input);
    }
    return ApiError(413, "payload_too_large", message, details);
}

}  // namespace relais::host::http
