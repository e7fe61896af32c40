// How large a request body the API reads before answering 413.
//
// Connectors take files in their action inputs, base64-encoded, and declare the largest they
// accept as the "maxLength" of that field (chorus: 10 MiB of PDF, 13,981,016 characters). A
// fixed limit refused some files the connector would have taken, so the limit of the routes
// that carry a connector's input (actions and jobs) fits the largest input any loaded connector
// declares, plus room for the JSON around it; other routes keep the default. A limit set in the
// configuration (host.api.max_body_bytes) applies to every route as it is: the operator chose
// it, and declared_input_too_large() says which declared input it leaves out.
#pragma once

#include "http/api_error.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace relais::host::http {

// What a request body carries, as far as its size is concerned.
enum class BodyKind {
    standard,         // settings, commands: small documents
    connector_input,  // an action's or a job's input, which may hold a file
    webhook,          // a webhook's: any media type, read by its route with the hook's own limit
};

// The largest input one action declares.
struct DeclaredInput {
    std::string connector;
    std::string action;
    std::uint64_t bytes = 0;  // the "maxLength" of its largest string field

    bool operator==(const DeclaredInput &) const = default;
};

class BodyLimits {
public:
    static constexpr std::uint64_t kDefaultBytes = 10 * 1024 * 1024;
    // Room for the JSON around a declared input: the other fields, the keys, the job's envelope.
    static constexpr std::uint64_t kInputMargin = 64 * 1024;
    // No computed limit goes beyond what the setting itself may be: a plugin declaring an
    // absurd maxLength must not lift the limit altogether.
    static constexpr std::uint64_t kMaxBytes = 1024 * 1024 * 1024;
    static constexpr const char *kSetting = "host.api.max_body_bytes";

    // The body a request needs to carry `input` at its largest: with the margin, at most kMaxBytes.
    static std::uint64_t needed_for(const DeclaredInput &input);

    // `configured`: host.api.max_body_bytes when the configuration sets it.
    explicit BodyLimits(std::optional<std::uint64_t> configured = std::nullopt) : configured_(configured) {}

    // Records the largest input `connector` declares (nullopt: none), in place of what it
    // declared before (a reload may bring a version with other limits). Returns whether that
    // changed anything. Thread-safe.
    bool declare(const std::string &connector, std::optional<DeclaredInput> largest);

    // The limit for a body of that kind. Thread-safe.
    std::uint64_t limit(BodyKind kind) const;

    // The largest input declared by any connector.
    std::optional<DeclaredInput> largest() const;

    // When host.api.max_body_bytes is set and leaves out the largest declared input (with its
    // margin): that input. nullopt when the limit is computed, or fits.
    std::optional<DeclaredInput> declared_input_too_large() const;

    // The 413 for a body of that kind: the limit, the setting that raises it, and the largest
    // declared input when there is one. `announced` is the Content-Length when one was sent.
    ApiError too_large(BodyKind kind, std::optional<std::uint64_t> announced) const;

private:
    std::optional<DeclaredInput> largest_locked() const;

    const std::optional<std::uint64_t> configured_;
    mutable std::mutex mutex_;
    std::map<std::string, DeclaredInput> declared_;  // connector -> its largest input
};

}  // namespace relais::host::http
