// The secret values the host knows (passwords, API keys, tokens from the connectors'
// settings) and hiding them in any text the host lets out: log lines, HTTP responses.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host {

// Thread-safe. apply() runs on every log line and every HTTP response, add() only when a
// configuration is loaded: a read takes no lock while there is no secret, and otherwise
// holds a shared one just long enough to take the current pattern list.
class Redactor {
public:
    static constexpr std::string_view kReplacement = "[redacted]";
    // Shorter values (in characters, not bytes) are refused: "1234" or "test" would already
    // hide half the log, anything shorter would hide words.
    static constexpr std::size_t kMinimumLength = 4;

    Redactor() = default;
    Redactor(const Redactor &) = delete;
    Redactor &operator=(const Redactor &) = delete;

    // Adds a secret; true when it is (or already was) hidden from now on, false when it is
    // refused as too short, so the caller can warn (naming the setting, never the value).
    bool add(std::string_view value);
    // Adds several at once; returns how many were refused as too short.
    std::size_t add_all(const std::vector<std::string> &values);

    // The text with every occurrence of every secret replaced by kReplacement, whether it
    // appears as is or escaped inside a JSON string ("\"", "\\", "\n", "\u001f", "\/", "\u00e9").
    // Occurrences that overlap or contain one another become one kReplacement, so no part of
    // any of them is left over.
    std::string apply(std::string_view text) const;

    // True when apply() would change the text.
    bool contains_secret(std::string_view text) const;

    // True when no secret was added (apply() then returns the text unchanged).
    bool empty() const noexcept { return empty_.load(std::memory_order_acquire); }

private:
    using Patterns = std::vector<std::string>;

    std::mutex write_mutex_;  // serializes writers; guards secrets_
    std::set<std::string, std::less<>> secrets_;
    // Every form of every secret (as is, JSON-escaped), longest first, no duplicates. Never
    // changed once published: a writer publishes a new list. Readers only copy the pointer
    // under the shared lock and scan outside it, because glibc's rwlock prefers readers: had
    // they scanned under it, a steady flow of apply() calls could keep add() waiting forever.
    mutable std::shared_mutex mutex_;
    std::shared_ptr<const Patterns> patterns_ = std::make_shared<const Patterns>();
    std::atomic<bool> empty_{true};

    std::shared_ptr<const Patterns> patterns() const;
    void publish_locked();
};

}  // namespace relais::host
