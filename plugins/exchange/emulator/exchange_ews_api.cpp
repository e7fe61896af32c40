// The EWS endpoint: authentication (Basic, NTLM, Bearer), the envelope and its Header
// (RequestServerVersion, ExchangeImpersonation, X-AnchorMailbox), the target mailbox, the
// injected failures and the concurrency limits, then the operation
// (exchange_ews_operations.cpp). Requests are read with the SDK's SOAP codec, whose XML reader
// refuses any DOCTYPE and never resolves an entity (relais/support/xml.hpp).
#include "exchange_ews_operations.hpp"
#include "exchange_state.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/String.h>

#include <sstream>

namespace relais::exchange_emulator {

namespace soap = support::soap;
namespace xml = support::xml;
using emulator::Request;
using emulator::Response;

namespace {

std::optional<std::pair<std::string, std::string>> basic_credentials(const std::string &header) {
    std::istringstream in(header.substr(6));
    Poco::Base64Decoder decoder(in);
    std::string decoded;
    try {
        decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

bool starts_with_word(const std::string &header, const char *scheme) {
    const std::string s(scheme);
    return header.size() > s.size() && Poco::icompare(header.substr(0, s.size()), s) == 0 && header[s.size()] == ' ';
}

// The user part of "DOMAIN\user" or "user" (a UPN is compared with the account's mailbox).
std::string user_part(const std::string &name) {
    const auto slash = name.find('\\');
    if (slash != std::string::npos) return name.substr(slash + 1);
    return name;
}

Response unauthorized(const EwsOptions &options, const std::string &why) {
    Response r = Response::text(401, "");
    if (options.allow_oauth)
        r.header("WWW-Authenticate",
                 "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", "
                 "trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", "
                 "token_types=\"app_asserting_user\", authorization_uri=\"https://"
                 "login.microsoftonline.com/common/oauth2/authorize\", error=\"invalid_token\"");
    if (options.allow_ntlm) r.header("WWW-Authenticate", "NTLM");
    if (options.allow_basic) r.header("WWW-Authenticate", "Basic realm=\"outlook.office365.com\"");
    r.header("X-MS-Diagnostics", "2000001;reason=\"" + why + "\";error_category=\"invalid_token\"");
    return r;
}

// The mailbox of DistinguishedFolderId/Mailbox/EmailAddress in one of the operation's folder
// references (delegate access), if any.
std::optional<std::string> delegated_mailbox(const xml::Element &operation) {
    for (const char *holder : {"ParentFolderIds", "SavedItemFolderId", "SyncFolderId", "FolderIds"}) {
        const auto *h = operation.child(ews::kMessages, holder);
        if (!h) continue;
        for (const auto &folder : h->elements()) {
            const auto *mailbox = folder.child(ews::kTypes, "Mailbox");
            if (mailbox)
                if (const auto address = mailbox->child_text(ews::kTypes, "EmailAddress")) return *address;
        }
    }
    return std::nullopt;
}

bool may_open(const std::set<std::string> &allowed, const std::string &mailbox) {
    if (allowed.count("*")) return true;
    for (const auto &a : allowed)
        if (mailbox_key(a) == mailbox_key(mailbox)) return true;
    return false;
}

}  // namespace

Response ExchangeEmulator::State::ews(const Request &request) {
    {
        std::lock_guard lock(mutex);
        if (ews_blocked)
            return Response::text(403,
                                  "EWS is blocked for this organization (EWSEnabled is False); use Microsoft Graph.");
    }
    const auto &o = options.ews;
    const auto authorization = request.header("Authorization").value_or("");
    Caller caller;
    if (starts_with_word(authorization, "Bearer")) {
        if (!o.allow_oauth) return unauthorized(o, "OAuth is not enabled for EWS here");
        std::lock_guard lock(mutex);
        std::string why;
        const auto *token = bearer_locked(request, "ews", why);
        if (!token) return unauthorized(o, why);
        caller.application = application_of(*token);
        if (!caller.application) return unauthorized(o, "the application no longer exists");
        caller.name = "application " + caller.application->client_id;
    } else if (starts_with_word(authorization, "Basic")) {
        const auto credentials = o.allow_basic ? basic_credentials(authorization) : std::nullopt;
        if (credentials)
            for (const auto &a : options.accounts)
                if ((Poco::icompare(a.user, user_part(credentials->first)) == 0 ||
                     Poco::icompare(a.mailbox, credentials->first) == 0) &&
                    a.password == credentials->second)
                    caller.account = &a;
        if (!caller.account) return unauthorized(o, "the user name or password is wrong");
        caller.name = caller.account->user;
    } else if (o.allow_ntlm) {
        auto outcome = ntlm.check(request);
        if (!outcome.authenticated) return *outcome.answer;
        for (const auto &a : options.accounts)
            if (Poco::icompare(a.user, user_part(outcome.user)) == 0) caller.account = &a;
        if (!caller.account) return unauthorized(o, "the account has no mailbox");
        caller.name = caller.account->user;
    } else {
        return unauthorized(o, "no credentials");
    }
    return ews_operation(request, caller);
}

Response ExchangeEmulator::State::ews_operation(const Request &request, const Caller &caller) {
    const auto &o = options.ews;
    const auto content_type = request.header("Content-Type").value_or("");
    if (Poco::icompare(content_type.substr(0, 8), "text/xml") != 0)
        return Response::text(415, "Content-Type must be text/xml for SOAP 1.1, not '" + content_type + "'");
    std::optional<soap::Envelope> envelope;
    try {
        envelope.emplace(soap::parse_envelope(request.body, RELAIS_INVALID_INPUT, "EWS request"));
    } catch (const std::exception &e) {
        return ews::fault_response(ews::schema_violation(nullptr, e.what()));
    }
    const auto *operation = envelope->content();
    if (!operation || operation->ns() != ews::kMessages)
        return ews::fault_response(
            ews::schema_violation(operation, "the Body must hold one EWS operation (messages namespace)"));
    const auto name = operation->local_name();
    try {
        // The Header.
        const auto *header = envelope->header();
        const auto *version = header ? header->child(ews::kTypes, "RequestServerVersion") : nullptr;
        if (!version || !ews::known_server_version(version->attribute("Version").value_or("")))
            throw ews::invalid_server_version();
        std::optional<std::string> impersonated;
        if (const auto *imp = header->child(ews::kTypes, "ExchangeImpersonation")) {
            const auto *sid = imp->child(ews::kTypes, "ConnectingSID");
            std::vector<const xml::Element *> ids;
            if (sid)
                for (const auto &e : sid->elements()) ids.push_back(&e);
            if (ids.size() != 1)
                throw ews::Fault{"ErrorInvalidExchangeImpersonationHeaderData",
                                 "ConnectingSID must hold exactly one of PrincipalName, SID, PrimarySmtpAddress or "
                                 "SmtpAddress.",
                                 {}};
            const auto &id = *ids.front();
            if (id.is(ews::kTypes, "SID"))
                throw ews::Fault{"ErrorInvalidExchangeImpersonationHeaderData",
                                 "The emulator does not resolve SIDs; use PrimarySmtpAddress.",
                                 {}};
            if (!id.is(ews::kTypes, "PrimarySmtpAddress") && !id.is(ews::kTypes, "SmtpAddress") &&
                !id.is(ews::kTypes, "PrincipalName"))
                throw ews::schema_violation(&id, "invalid child '" + id.local_name() + "' in ConnectingSID");
            impersonated = id.text(xml::Trim::yes);
        }
        // The target mailbox, and whether the caller may open it.
        std::string target;
        if (caller.application) {
            if (!impersonated)
                throw ews::Fault{"ErrorInvalidExchangeImpersonationHeaderData",
                                 "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
                                 {}};
            const auto anchor = request.header("X-AnchorMailbox");
            if (!anchor || mailbox_key(*anchor) != mailbox_key(*impersonated))
                throw ews::Fault{"ErrorInvalidRequest",
                                 "X-AnchorMailbox must name the impersonated mailbox with an application token.",
                                 {}};
            target = *impersonated;
        } else if (impersonated) {
            target = *impersonated;
        } else if (const auto delegated = delegated_mailbox(*operation)) {
            target = *delegated;
        } else {
            target = caller.account->mailbox;
            // An EWS item id names its mailbox: a delegate's GetItem, UpdateItem or DeleteItem
            // reaches the item where it lives (then checked as any target below).
            std::vector<std::string> item_ids;
            if (const auto *ids = operation->child(ews::kMessages, "ItemIds"))
                for (const auto *id : ids->children(ews::kTypes, "ItemId"))
                    item_ids.push_back(id->attribute("Id").value_or(""));
            if (const auto *changes = operation->child(ews::kMessages, "ItemChanges"))
                for (const auto *change : changes->children(ews::kTypes, "ItemChange"))
                    if (const auto *id = change->child(ews::kTypes, "ItemId"))
                        item_ids.push_back(id->attribute("Id").value_or(""));
            std::lock_guard lock(mutex);
            const auto *own = calendar_locked(target);
            for (const auto &id : item_ids) {
                if (id.empty() || (own && own->find_any(id))) continue;
                for (const auto &[key, calendar] : calendars)
                    if (calendar.find_any(id)) {
                        target = calendar.address();
                        break;
                    }
                break;
            }
        }

        hold_if_asked(name);
        std::unique_lock lock(mutex);
        ++calls[name];
        if (!ews::known_operation(name))
            throw ews::Fault{"ErrorInvalidRequest", "The emulator does not serve " + name + ".", {}};
        auto *calendar = calendar_locked(target);
        if (!calendar) throw ews::non_existent_mailbox(target);
        const bool allowed = caller.application ? caller.application->mailboxes.empty() ||
                                                      may_open(caller.application->mailboxes, target)
                                                : mailbox_key(target) == mailbox_key(caller.account->mailbox) ||
                                                      may_open(caller.account->may_open, target);
        if (!allowed) throw ews::impersonate_user_denied();

        const auto failure = take_failure_locked(name, Api::ews);
        bool lose = false;
        if (failure) {
            switch (*failure) {
            case Failure::server_busy: throw ews::server_busy(options.back_off.count());
            case Failure::exceeded_connection_count: throw ews::exceeded_connection_count();
            case Failure::impersonate_user_denied: throw ews::impersonate_user_denied();
            case Failure::non_existent_mailbox: throw ews::non_existent_mailbox(target);
            case Failure::unavailable: {
                Response r = Response::text(503, "Service Unavailable");
                if (options.retry_after.count() > 0)
                    r.header("Retry-After", std::to_string(options.retry_after.count()));
                return r;
            }
            case Failure::server_error:
                return Response::text(500,
                                      "<html><head><title>Runtime Error</title></head><body><h1>Server Error in "
                                      "'/EWS' Application.</h1></body></html>")
                    .header("Content-Type", "text/html; charset=utf-8");
            case Failure::error_page_redirect: {
                Response r = Response::text(302, "");
                r.header("Location", "/ews/genericerrorpage.htm?aspxerrorpath=/ews/exchange.asmx");
                return r;
            }
            case Failure::lose_answer: lose = true; break;
            default: break;  // the per-message ones, in the operation
            }
        }

        // Concurrency, counted while the call is in flight (the latency included).
        InFlight in_flight(*this, lock, ews_in_flight, ews_peak, target);
        std::optional<InFlight> sync;
        if (name == "SyncFolderItems") sync.emplace(*this, lock, syncs_in_flight, syncs_peak, target);
        if (in_flight.now() > o.max_concurrency) throw ews::exceeded_connection_count();
        std::optional<Failure> per_message =
            failure && (*failure == Failure::item_not_found || *failure == Failure::invalid_sync_state ||
                        *failure == Failure::server_busy_message)
                ? failure
                : std::nullopt;
        if (sync && sync->now() > o.max_concurrent_syncs) per_message = Failure::server_busy_message;
        lock.unlock();
        sleep_latency();
        lock.lock();
        ews::OperationContext context{*calendar, ids, clock->now(), o, per_message, options.back_off.count()};
        Response answer = ews::run_operation(context, *operation);
        if (lose) throw emulator::DropConnection();
        return answer;
    } catch (const ews::Fault &f) {
        return ews::fault_response(f);
    } catch (const relais::Error &e) {
        // A value the answer cannot carry (XML 1.0 refuses it).
        return ews::fault_response(ews::schema_violation(nullptr, e.what()));
    }
}

}  // namespace relais::exchange_emulator
