#include "observability/logging.hpp"

#include "observability/log_tail.hpp"

#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Formatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/SplitterChannel.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/TextConverter.h>
#include <Poco/UTF8Encoding.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::host {
namespace {

using Priority = Poco::Message::Priority;

constexpr std::array<std::pair<std::string_view, Priority>, 11> kLevelNames = {{
    {"trace", Poco::Message::PRIO_TRACE},
    {"debug", Poco::Message::PRIO_DEBUG},
    {"information", Poco::Message::PRIO_INFORMATION},
    {"info", Poco::Message::PRIO_INFORMATION},
    {"notice", Poco::Message::PRIO_NOTICE},
    {"warning", Poco::Message::PRIO_WARNING},
    {"warn", Poco::Message::PRIO_WARNING},
    {"error", Poco::Message::PRIO_ERROR},
    {"critical", Poco::Message::PRIO_CRITICAL},
    {"fatal", Poco::Message::PRIO_FATAL},
    {"none", static_cast<Priority>(0)},  // Poco's own parseLevel("none") gives 0 too
}};

// What a line says of its level: short names, the JSON ones being what parse_log_level reads.
struct LevelLabel {
    std::string_view text;  // padded to 5 columns in text lines
    std::string_view json;
};

LevelLabel label_of(Priority priority) {
    switch (priority) {
    case Poco::Message::PRIO_TRACE: return {"TRACE", "trace"};
    case Poco::Message::PRIO_DEBUG: return {"DEBUG", "debug"};
    case Poco::Message::PRIO_INFORMATION: return {"INFO", "info"};
    case Poco::Message::PRIO_NOTICE: return {"NOTICE", "notice"};
    case Poco::Message::PRIO_WARNING: return {"WARN", "warn"};
    case Poco::Message::PRIO_ERROR: return {"ERROR", "error"};
    case Poco::Message::PRIO_CRITICAL: return {"CRITICAL", "critical"};
    case Poco::Message::PRIO_FATAL: return {"FATAL", "fatal"};
    }
    return {"?", "?"};
}

std::string timestamp_of(const Poco::Message &msg) {
    // A Poco::Timestamp is UTC; %i is the milliseconds.
    return Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

// Poco 1.11's Message::getTid() numbers Poco::Threads only (0 for std::thread and main), so
// the id is read here. The chain is synchronous: this runs on the thread that logged.
long os_thread_id() {
    thread_local const long id = static_cast<long>(::gettid());
    return id;
}

// Poco::JSON copies invalid UTF-8 into its output as is, which makes the line invalid JSON;
// a plugin may well log bytes it received. Invalid sequences become U+FFFD.
std::string valid_utf8(const std::string &text) {
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return text;
    Poco::UTF8Encoding utf8;
    Poco::TextConverter converter(utf8, utf8, 0xFFFD);
    std::string out;
    converter.convert(text, out);
    return out;
}

class LineFormatter final : public Poco::Formatter {
public:
    explicit LineFormatter(bool json) : json_(json) {}

    void format(const Poco::Message &msg, std::string &text) override {
        if (json_)
            format_json(msg, text);
        else
            format_text(msg, text);
    }

private:
    const bool json_;

    static void format_text(const Poco::Message &msg, std::string &text) {
        const auto label = label_of(msg.getPriority()).text;
        text = timestamp_of(msg);
        text += ' ';
        text += label;
        text.append(label.size() < 5 ? 5 - label.size() : 0, ' ');
        text += ' ';
        text += msg.getSource();
        text += ": ";
        // One line per message, whatever it holds: a journal reader must not mistake the
        // second line of a message for a message of its own.
        for (char c : msg.getText()) {
            if (c == '\n')
                text += "\\n";
            else if (c == '\r')
                text += "\\r";
            else
                text += c;
        }
    }

    static void format_json(const Poco::Message &msg, std::string &text) {
        Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
        line.set("ts", timestamp_of(msg));
        line.set("level", std::string(label_of(msg.getPriority()).json));
        line.set("logger", valid_utf8(msg.getSource()));
        // A line about one call (relais_host_services.call_log) names it in a field of its own.
        if (msg.has(kCallField)) line.set("call", valid_utf8(msg.get(kCallField)));
        line.set("message", valid_utf8(msg.getText()));
        line.set("thread", static_cast<Poco::Int64>(os_thread_id()));
        std::ostringstream out;
        line.stringify(out);  // compact: no line break inside
        text = std::move(out).str();
    }
};

// The one channel every logger holds, for the life of the process; reconfiguring swaps the
// chain behind it. Poco's Logger::log calls its channel through a plain member, without a
// lock: replacing the loggers' channels while other threads log could destroy a channel
// under a thread that is writing through it. Here a writing thread holds its own reference.
class ChannelSwitch final : public Poco::Channel {
public:
    void log(const Poco::Message &msg) override {
        Poco::Channel::Ptr target;
        {
            std::shared_lock lock(mutex_);
            target = target_;
        }
        if (target) target->log(msg);
    }

    void set(Poco::Channel::Ptr target) {
        std::unique_lock lock(mutex_);
        target_.swap(target);
    }  // the previous chain goes when the last thread writing through it is done

private:
    ~ChannelSwitch() override = default;

    std::shared_mutex mutex_;
    Poco::Channel::Ptr target_;
};

ChannelSwitch &channel_switch() {
    // Never destroyed: loggers may still log during static destruction.
    static auto *const instance = new ChannelSwitch;
    return *instance;
}

}  // namespace

Poco::Message::Priority parse_log_level(const std::string &name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    for (const auto &[level_name, priority] : kLevelNames)
        if (lower == level_name) return priority;
    throw std::invalid_argument("unknown log level '" + name +
                                "' (expected trace, debug, information, notice, warning, error, critical, fatal "
                                "or none)");
}

void configure_logging(const LogSettings &settings, std::shared_ptr<const Redactor> redactor, std::ostream &out) {
    // Everything is checked before anything changes.
    if (settings.format != "text" && settings.format != "json")
        throw std::invalid_argument("unknown log format '" + settings.format + "' (expected text or json)");
    const bool json = settings.format == "json";
    const auto level = parse_log_level(settings.level);
    std::vector<std::pair<std::string, Priority>> levels;  // in name order: a logger before those below it
    for (const auto &[name, value] : settings.levels) levels.emplace_back(name, parse_log_level(value));

    Poco::Formatter::Ptr formatter(new LineFormatter(json));
    Poco::Channel::Ptr console(new Poco::ConsoleChannel(out));  // a line, then std::endl, under a lock
    Poco::Channel::Ptr formatting(new Poco::FormattingChannel(formatter, console));
    // After redaction, every line goes both out and to the console's live tail.
    Poco::AutoPtr<Poco::SplitterChannel> split(new Poco::SplitterChannel);
    split->addChannel(formatting);
    split->addChannel(Poco::Channel::Ptr(new LogTailChannel));
    Poco::Channel::Ptr chain(new RedactingChannel(std::move(redactor), split));

    static std::mutex configuring;
    std::lock_guard guard(configuring);
    auto &target = channel_switch();
    target.set(chain);

    // A logger takes its parent's channel and level when it is created, and keeps them: the
    // root's reach the loggers created from now on, and the existing ones are set one by one.
    Poco::Logger::root();
    std::vector<std::string> names;
    Poco::Logger::names(names);
    const Poco::Channel::Ptr shared(&target, true);
    for (const auto &name : names) {
        auto &logger = Poco::Logger::get(name);
        if (logger.getChannel().get() != &target) logger.setChannel(shared);
    }

    // Poco::Logger::setLevel(name, ...) reaches a logger and the existing ones below it only.
    // Creating each named logger now makes it the parent a later logger starts from: a plugin
    // logger created after this call, or one below it, starts at the configured level.
    Poco::Logger::setLevel(Poco::Logger::ROOT, level);
    for (const auto &[name, priority] : levels) {
        Poco::Logger::get(name);
        Poco::Logger::setLevel(name, priority);
    }
}

RedactingChannel::RedactingChannel(std::shared_ptr<const Redactor> redactor, Poco::Channel::Ptr next)
    : redactor_(std::move(redactor)), next_(std::move(next)) {}

RedactingChannel::~RedactingChannel() = default;

void RedactingChannel::log(const Poco::Message &msg) {
    if (!next_) return;
    if (!redactor_ || redactor_->empty()) {
        next_->log(msg);
        return;
    }
    Poco::Message redacted(msg, redactor_->apply(msg.getText()));  // keeps the properties
    if (redacted.has(kCallField)) redacted.set(kCallField, redactor_->apply(redacted.get(kCallField)));
    next_->log(redacted);
}

void RedactingChannel::open() {
    if (next_) next_->open();
}

void RedactingChannel::close() {
    if (next_) next_->close();
}

}  // namespace relais::host
