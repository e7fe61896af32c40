// The XML-RPC endpoint: HTTP Basic, one methodCall, the requester.* methods, faults in 200.
// Calls are parsed with the SDK's XML-RPC codec, whose XML reader refuses any DOCTYPE and
// never resolves an entity (relais/support/xml.hpp), so a hostile body is a fault, not a read.
#include "universign_state.hpp"
#include "universign_xmlrpc_request.hpp"

#include <relais/support/xmlrpc.hpp>

#include <Poco/Base64Decoder.h>
#include <Poco/String.h>

#include <algorithm>
#include <sstream>

namespace relais::universign_emulator {

namespace xr = support::xmlrpc;
using emulator::Request;
using emulator::Response;

namespace {

constexpr int kUnauthorized = 73010;
constexpr int kInvalid = 73020;
constexpr int kUnknown = 73025;
constexpr int kNotAllowed = 73027;
constexpr int kRestoring = 73070;

// The recorded answers' Content-Type (the framework's Response::xml says application/xml).
Response xml_answer(std::string body) {
    Response r;
    r.body = std::move(body);
    r.header("Content-Type", "text/xml");
    return r;
}

Response fault(int code, const std::string &message) { return xml_answer(xr::encode_fault({code, message})); }

// The login and password of a Basic Authorization header.
std::optional<std::pair<std::string, std::string>> basic_credentials(const Request &request) {
    const auto header = request.header("Authorization");
    if (!header || Poco::icompare(header->substr(0, 6), "Basic ") != 0) return std::nullopt;
    std::istringstream in(header->substr(6));
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

const std::string &string_param(const xr::Call &call) {
    if (call.params.size() != 1 || !call.params[0].as_string())
        throw XmlRpcFault{kInvalid, call.method + " takes one string parameter"};
    return *call.params[0].as_string();
}

const xr::Struct &struct_param(const xr::Call &call) {
    if (call.params.size() != 1 || !call.params[0].as_struct())
        throw XmlRpcFault{kInvalid, call.method + " takes one struct parameter"};
    return *call.params[0].as_struct();
}

xr::Value date(TimePoint t) { return xr::DateTime::from(t); }

xr::Struct certificate_info(const Transaction &tx, const Signer &s) {
    if (s.state != SignerState::has_signed) return {};  // <struct></struct> before signing, as recorded
    // A simple signature has empty strings; the others a certificate named after the signer.
    const bool simple = tx.certificate_type == "simple";
    xr::Struct info;
    info.add("serial", simple ? "" : "0" + s.id.substr(0, 8));
    info.add("subject", simple ? "" : "CN=" + s.first_name + " " + s.last_name);
    info.add("issuer", simple ? "" : "CN=Universign Emulator CA");
    return info;
}

std::string signer_url(const XmlRpcOptions &options, const Signer &s) {
    return options.signer_host + "/" + s.language + "/signature/?id=" + s.id;
}

}  // namespace

// One call being answered: the account and the state, locked.
struct XmlRpcCall {
    UniversignEmulator::State &state;
    const std::string &login;
    TimePoint now;

    Transaction &by_id(const std::string &id) {
        const auto it = state.transactions.find(id);
        if (it == state.transactions.end() || it->second.api != Api::xmlrpc || it->second.owner != login)
            throw XmlRpcFault{kUnknown, "The transaction ID is unknown: " + id};
        return it->second;
    }
    Transaction &by_custom_id(const std::string &custom_id) {
        const auto it = state.by_custom_id.find(custom_id);
        if (it == state.by_custom_id.end()) throw XmlRpcFault{kUnknown, "The custom ID is unknown: " + custom_id};
        return by_id(it->second);
    }

    xr::Value request_transaction(const xr::Call &call) {
        Transaction tx = read_transaction_request(struct_param(call), state.options.xmlrpc);
        if (!tx.custom_id.empty() && state.by_custom_id.count(tx.custom_id))
            throw XmlRpcFault{kInvalid, "customId '" + tx.custom_id + "' is already used by a transaction"};
        tx.id = state.uuid();
        tx.owner = login;
        tx.created_at = tx.creation_date = now;
        tx.lifetime = state.options.expire_after;
        for (auto &s : tx.signers) {
            s.id = state.uuid();
            const auto b = state.behaviours.find(s.email);
            s.behaviour = b != state.behaviours.end() ? b->second : behaviour_from_email(s.email);
        }
        for (auto &d : tx.documents) d.number = state.next_document_number++;
        std::vector<TransactionEvent> ignored;  // XML-RPC pushes nothing for the start
        start(tx, now, ignored);
        const Signer *first = &tx.signers.front();
        for (const auto &s : tx.signers)
            if (!s.observer) {
                first = &s;
                break;
            }
        xr::Struct answer{{"id", tx.id}, {"url", signer_url(state.options.xmlrpc, *first)}};
        if (!tx.custom_id.empty()) {
            state.by_custom_id[tx.custom_id] = tx.id;
            ++state.created_per_custom_id[tx.custom_id];
        }
        ++state.created;
        state.creation_order.push_back(tx.id);
        state.transactions.emplace(tx.id, std::move(tx));
        return answer;
    }

    xr::Value info(const Transaction &tx) const {
        xr::Array signer_infos;
        xr::Array certificates;
        for (const auto &s : tx.signers) {
            xr::Struct info;
            info.add("firstName", s.first_name);  // camel-case in answers, unlike requests
            info.add("lastName", s.last_name);
            info.add("id", s.id);
            info.add("certificateInfo", certificate_info(tx, s));
            info.add("url", signer_url(state.options.xmlrpc, s));
            info.add("email", s.email);
            info.add("status", xmlrpc_signer_status(s));
            if (s.action_at) info.add("actionDate", date(*s.action_at));
            if (s.state == SignerState::failed) info.add("error", "The signature could not be completed");
            if (s.state == SignerState::refused) {
                xr::Array refused;
                for (const auto &d : tx.documents) refused.emplace_back(d.number);
                info.add("refusedDocs", refused);
            }
            signer_infos.emplace_back(std::move(info));
            if (!s.observer) certificates.emplace_back(certificate_info(tx, s));
        }
        xr::Struct out;
        out.add("signerInfos", signer_infos);
        out.add("currentSigner", static_cast<std::int32_t>(current_signer(tx)));
        out.add("eachField", false);
        out.add("creationDate", date(tx.creation_date));
        out.add("signerCertificates", certificates);
        out.add("initiatorInfo", xr::Struct{{"firstName", "Relais"}, {"lastName", "Emulator"}, {"email", tx.owner}});
        if (!tx.description.empty()) out.add("description", tx.description);
        if (!tx.custom_id.empty()) {
            // The guide's key is customerId; see CustomIdKey for why it can be changed.
            switch (state.options.xmlrpc.custom_id_key) {
            case CustomIdKey::customer_id: out.add("customerId", tx.custom_id); break;
            case CustomIdKey::custom_id: out.add("customId", tx.custom_id); break;
            case CustomIdKey::absent: break;
            }
        }
        out.add("transactionId", tx.id);
        out.add("status", xmlrpc_status(tx));
        return out;
    }

    xr::Value documents(Transaction &tx) {
        if (tx.state != TxState::completed)
            throw XmlRpcFault{kNotAllowed, "The transaction is " + xmlrpc_status(tx) + ": no document to retrieve"};
        const auto timing = state.timing();
        if (archived(tx, now, timing) && !restored(tx, now, timing))
            throw XmlRpcFault{kRestoring,
                              "The documents are being restored from the archive, please retry later"};
        xr::Array list;
        for (std::size_t i = 0; i < tx.documents.size(); ++i) {
            const auto &d = tx.documents[i];
            const auto content = signed_content(tx, i);
            xr::Struct doc;
            doc.add("metaData", xr::Struct{{"pages", static_cast<std::int32_t>(count_pages(content))},
                                           {"size", static_cast<std::int32_t>(content.size())}});
            doc.add("fileName", d.file_name);
            doc.add("documentType", d.document_type);
            doc.add("name", d.name);
            doc.add("id", d.number);
            doc.add("content", xr::Base64{content});
            list.emplace_back(std::move(doc));
        }
        ++tx.documents_fetched;
        return list;
    }

    xr::Value cancel_transaction(Transaction &tx) {
        if (tx.state != TxState::open)
            throw XmlRpcFault{kNotAllowed, "The transaction is " + xmlrpc_status(tx) + ": it cannot be canceled"};
        std::vector<TransactionEvent> events;
        cancel(tx, now, events);
        state.queue_pushes_locked(tx, events);
        return std::int32_t{0};
    }

    xr::Value relaunch_transaction(Transaction &tx) {
        if (tx.state != TxState::open)
            throw XmlRpcFault{kNotAllowed, "The transaction is " + xmlrpc_status(tx) + ": it cannot be relaunched"};
        tx.creation_date = now;  // the guide: creationDate becomes the relaunch's date
        ++tx.relaunches;
        return std::int32_t{0};
    }

    xr::Value list_transactions(const xr::Call &call) {
        const auto filter = read_filter(struct_param(call));
        xr::Array ids;
        int position = 0;
        for (const auto &id : state.creation_order) {
            const auto &tx = state.transactions.at(id);
            if (tx.owner != login) continue;
            if (filter.requester_email && *filter.requester_email != tx.owner) continue;
            if (filter.profile && *filter.profile != tx.profile) continue;
            if (filter.status && *filter.status != xmlrpc_status_code(tx)) continue;
            if (filter.not_before && tx.creation_date < *filter.not_before) continue;
            if (filter.not_after && tx.creation_date > *filter.not_after) continue;
            const bool completed = tx.state == TxState::completed && tx.ended_at;
            if (filter.not_before_completion && (!completed || *tx.ended_at < *filter.not_before_completion)) continue;
            if (filter.not_after_completion && (!completed || *tx.ended_at > *filter.not_after_completion)) continue;
            if (filter.signer_id && std::none_of(tx.signers.begin(), tx.signers.end(), [&](const Signer &s) {
                    return s.id == *filter.signer_id;
                }))
                continue;
            // The range counts matching transactions; stopRange is taken as exclusive (the
            // guide caps it at startRange + 1000 and says "1000 per call").
            if (position >= filter.start_range && position < filter.stop_range) ids.emplace_back(tx.id);
            ++position;
        }
        return ids;
    }

    xr::Value dispatch(const xr::Call &call) {
        const auto &m = call.method;
        if (m == "requester.requestTransaction") return request_transaction(call);
        if (m == "requester.getTransactionInfo") return info(by_id(string_param(call)));
        if (m == "requester.getTransactionInfoByCustomId") return info(by_custom_id(string_param(call)));
        if (m == "requester.getDocuments") return documents(by_id(string_param(call)));
        if (m == "requester.getDocumentsByCustomId") return documents(by_custom_id(string_param(call)));
        if (m == "requester.cancelTransaction") return cancel_transaction(by_id(string_param(call)));
        if (m == "requester.relaunchTransaction") return relaunch_transaction(by_id(string_param(call)));
        if (m == "requester.listTransactions") return list_transactions(call);
        // What the real server answers for an unknown method is not recorded; an invalid
        // request is the nearest of its documented faults.
        throw XmlRpcFault{kInvalid, "No such handler: " + m};
    }
};

Response UniversignEmulator::State::xmlrpc(const Request &request) {
    const auto credentials = basic_credentials(request);
    const Account *account = nullptr;
    if (credentials)
        for (const auto &a : options.xmlrpc.accounts)
            if (a.login == credentials->first && a.password == credentials->second) account = &a;
    if (!account) {
        if (options.xmlrpc.auth_failure == XmlRpcAuthFailure::fault_73010)
            return fault(kUnauthorized, "Invalid login and/or password");
        Response refused = Response::text(401, "Authorization failed");
        refused.header("WWW-Authenticate", "Basic realm=\"Universign\"");
        return refused;
    }
    const auto content_type = request.header("Content-Type").value_or("");
    if (Poco::icompare(content_type.substr(0, 8), "text/xml") != 0)
        return fault(kInvalid, "Content-Type must be text/xml, not '" + content_type + "'");

    xr::Call call;
    try {
        call = xr::decode_call(request.body, RELAIS_INVALID_INPUT, "XML-RPC request");
    } catch (const std::exception &e) {
        return fault(kInvalid, e.what());
    }

    hold_if_asked(call.method);
    std::unique_lock lock(mutex);
    ++calls[call.method];
    bool lose_answer = false;
    if (const auto injected = take_failure_locked(call.method, true)) {
        if (*injected >= 100 && *injected < 600) return Response::text(*injected, "");
        if (*injected != 0) return fault(*injected, "Injected fault " + std::to_string(*injected));
        lose_answer = true;
    }
    const auto now = clock->now();
    settle_all_locked(now);
    Response answer;
    try {
        XmlRpcCall handler{*this, account->login, now};
        answer = xml_answer(xr::encode_response(handler.dispatch(call)));
    } catch (const XmlRpcFault &f) {
        answer = fault(f.code, f.message);
    } catch (const relais::Error &e) {
        // A value the answer cannot carry (a name XML 1.0 refuses, sent back as is).
        answer = fault(kInvalid, e.what());
    }
    if (lose_answer) throw emulator::DropConnection();
    return answer;
}

}  // namespace relais::universign_emulator
