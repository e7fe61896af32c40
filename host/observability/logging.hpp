// Where the host's and the plugins' log lines go and what they look like: secrets redacted,
// one line per message on stdout (systemd hands it to journald), as text or JSON lines, and
// the level of each logger ("relais.plugin.chorus" at debug, the rest at information).
#pragma once

#include "config/redactor.hpp"

#include <Poco/Channel.h>
#include <Poco/Message.h>

#include <iostream>
#include <map>
#include <memory>
#include <string>

namespace relais::host {

// The Poco::Message property holding the id of the call a line is about (see call_log).
inline constexpr const char *kCallField = "call";

struct LogSettings {
    std::string format = "text";                  // "text" or "json" (one JSON object per line)
    std::string level = "information";            // of every logger not named in `levels`
    std::map<std::string, std::string> levels{};  // logger name -> level; applies to its descendants too
};

// trace, debug, information|info, notice, warning|warn, error, critical, fatal, none (in any
// case). "none" gives 0, below PRIO_FATAL: a logger at that level lets nothing through.
// Throws std::invalid_argument naming anything else.
Poco::Message::Priority parse_log_level(const std::string &name);

// Installs the logging of the whole process on Poco's loggers, existing and future:
//   redacting channel -> formatting channel (text or JSON lines) -> console channel on `out`.
// Text:  2026-11-22T14:03:07.123Z INFO  relais.plugin.chorus: message
// JSON:  {"ts":"2026-11-22T14:03:07.123Z","level":"info","logger":"relais.plugin.chorus",
//         "message":"message","thread":4242}                                 (on one line)
// Times are UTC; "thread" is the OS thread id (as in ps -L and journald). A message's line
// breaks are written as \n and \r in text format, so that a message stays one line. A message
// about one call carries its id in the property kCallField; its text starts with
// "[<call id>] " in both formats, and its JSON line has "call":"<call id>" after "logger".
//
// Every logger gets `settings.level`, then each name in `settings.levels` (and the loggers
// below it) its own; a named logger is created now if need be, so that one a plugin creates
// later, or a logger below it, starts at the configured level instead of its parent's.
//
// May be called again at any time, with loggers in use on other threads: the new output,
// format, redactor and levels replace the old ones; a message being written when it is
// called may still go to the previous `out`. Nothing changes when it throws
// (std::invalid_argument for an unknown format or level). A null `redactor` redacts nothing.
// `out` must outlive this configuration.
void configure_logging(const LogSettings &settings, std::shared_ptr<const Redactor> redactor,
                       std::ostream &out = std::cout);

// A filter channel: replaces the secrets in a message's text, then passes it on. Passes the
// message on untouched when there is no secret to look for.
class RedactingChannel : public Poco::Channel {
public:
    using Ptr = Poco::AutoPtr<RedactingChannel>;

    RedactingChannel(std::shared_ptr<const Redactor> redactor, Poco::Channel::Ptr next);

    void log(const Poco::Message &msg) override;
    void open() override;
    void close() override;

protected:
    ~RedactingChannel() override;

private:
    const std::shared_ptr<const Redactor> redactor_;
    Poco::Channel::Ptr next_;  // not const: a const AutoPtr only gives a const Channel
};

}  // namespace relais::host
