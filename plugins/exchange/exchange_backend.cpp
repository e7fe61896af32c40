#include "exchange_backend.hpp"

#include <Poco/String.h>

namespace relais::exchange {

MailboxSlot::MailboxSlot(const std::string &mailbox, const std::string &what, const Gate &gate)
    : gate_(gate), key_(Poco::toLower(mailbox)) {
    if (!gate_.call) return;
    try {
        gate_.call->take_quota("requests", key_, 1, gate_.max_wait);
        gate_.call->take_quota("concurrent", key_, 1, gate_.max_wait);
    } catch (const Error &e) {
        throw Error(e.status(), what + ": " + e.what(), e.detail(), e.retry_after());
    }
    held_ = true;
}

MailboxSlot::~MailboxSlot() {
    if (held_) gate_.call->release_quota("concurrent", key_);
}

}  // namespace relais::exchange
