// The REST API v1: API key auth, form bodies, uploaded files, the draft -> started flow, JSON.
#include "universign_state.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <algorithm>
#include <sstream>

namespace relais::universign_emulator {

using emulator::Request;
using emulator::Response;
using Json = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

namespace {

Json object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }
JsonArray array() { return new Poco::JSON::Array; }

std::string to_string(const Json &json) {
    std::ostringstream out;
    json->stringify(out);
    return out.str();
}

[[noreturn]] void fail(int status, const std::string &code, const std::string &message) {
    throw RestFailure{status, code, message};
}

// The API key of a request: Basic "KEY:" (empty password) or Bearer KEY.
std::optional<std::string> api_key_of(const Request &request) {
    const auto header = request.header("Authorization");
    if (!header) return std::nullopt;
    if (Poco::icompare(header->substr(0, 7), "Bearer ") == 0) return header->substr(7);
    if (Poco::icompare(header->substr(0, 6), "Basic ") != 0) return std::nullopt;
    std::istringstream in(header->substr(6));
    Poco::Base64Decoder decoder(in);
    std::string decoded;
    try {
        decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
    const auto colon = decoded.find(':');
    if (colon == std::string::npos || colon + 1 != decoded.size()) return std::nullopt;  // "KEY:" exactly
    return decoded.substr(0, colon);
}

// The form fields, refusing any other kind of body (the API takes forms, not JSON).
const emulator::Fields &form_of(const Request &request) {
    if (!request.body.empty()) {
        const auto type = request.header("Content-Type").value_or("");
        if (Poco::icompare(type.substr(0, 33), "application/x-www-form-urlencoded") != 0)
            fail(400, "invalid_request", "the body must be application/x-www-form-urlencoded, not '" + type + "'");
    }
    return request.form;
}

void only(const emulator::Fields &form, std::initializer_list<const char *> allowed, const char *prefix = nullptr) {
    for (const auto &[name, value] : form) {
        bool known = prefix && name.rfind(prefix, 0) == 0;
        for (const char *a : allowed) known = known || name == a;
        if (!known) fail(400, "invalid_parameter", "unknown parameter '" + name + "'");
    }
}

std::optional<std::string> field(const emulator::Fields &form, const std::string &name) {
    for (const auto &[n, v] : form)
        if (n == name) return v;
    return std::nullopt;
}

std::optional<int> int_field(const emulator::Fields &form, const std::string &name) {
    const auto text = field(form, name);
    if (!text) return std::nullopt;
    try {
        std::size_t used = 0;
        const int value = std::stoi(*text, &used);
        if (used == text->size()) return value;
    } catch (const std::exception &) {
    }
    fail(400, "invalid_parameter", "'" + name + "' must be an integer, not '" + *text + "'");
}

Signer *signer_by_email(Transaction &tx, const std::string &email) {
    for (auto &s : tx.signers)
        if (s.email == email) return &s;
    return nullptr;
}

void require_draft(const Transaction &tx) {
    if (tx.state != TxState::draft) fail(400, "invalid_state", "the transaction is no longer a draft");
}

Document &document_of(Transaction &tx, const std::string &id) {
    for (auto &d : tx.documents)
        if (d.rest_id == id) return d;
    fail(404, "not_found", "no document " + id + " in " + tx.id);
}

Json field_json(const SignatureField &f) {
    auto json = object();
    json->set("id", f.id);
    json->set("type", f.type);
    if (!f.name.empty()) json->set("name", f.name);
    if (f.page) json->set("page", *f.page);
    if (f.x) json->set("x", *f.x);
    if (f.y) json->set("y", *f.y);
    json->set("built_in", false);
    json->set("consents", array());
    json->set("updatable", true);
    json->set("deletable", true);
    return json;
}

Json document_json(const Transaction &tx, const Document &d) {
    auto json = object();
    json->set("id", d.rest_id);
    json->set("name", d.name);
    const bool draft = tx.state == TxState::draft;
    json->set("editable", draft);
    json->set("updatable", draft);
    json->set("deletable", draft);
    auto fields = array();
    for (const auto &f : d.fields) fields->add(field_json(f));
    json->set("fields", fields);
    return json;
}

// A participant's state: the reference shows "open" only; "closed" follows the action.closed
// event's name and "stalled" action.stalled's.
std::string participant_state(const Signer &s) {
    switch (s.state) {
    case SignerState::has_signed: return "closed";
    case SignerState::refused:
    case SignerState::failed: return "stalled";
    default: return "open";
    }
}

}  // namespace

Response UniversignEmulator::State::rest_error(int status, const std::string &code, const std::string &message) const {
    switch (options.rest.error_shape) {
    case RestErrorShape::error_message: return emulator::error_response(status, code, message);
    case RestErrorShape::problem_json: {
        auto body = object();
        body->set("type", "about:blank");
        body->set("title", code);
        body->set("status", status);
        body->set("detail", message);
        auto r = Response::json(status, to_string(body));
        r.headers.set("Content-Type", "application/problem+json");
        return r;
    }
    case RestErrorShape::empty: return Response{status, {}, ""};
    }
    return emulator::error_response(status, code, message);
}

std::string UniversignEmulator::State::rest_transaction_json(const Transaction &tx, TimePoint now) const {
    auto json = object();
    json->set("object", "transaction");
    json->set("id", tx.id);
    json->set("folder_id", "fol_relaisEmulator");
    json->set("created_at", rest_time(tx.created_at));
    json->set("duration", static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(tx.lifetime).count()));
    json->set("name", tx.name.empty() ? tx.id : tx.name);
    json->set("folder_name", "Relais");
    json->set("stalled", tx.stalled);
    json->set("language", tx.language);
    auto creator = object();
    creator->set("workspace_name", "Relais emulator");
    creator->set("api_key_name", "API key " + tx.owner.substr(0, 4) + "...");
    json->set("creator", creator);
    json->set("state", rest_state(tx, now, timing()));
    if (tx.started_at) {
        json->set("started_at", rest_time(*tx.started_at));
        json->set("expires_at", rest_time(*tx.started_at + tx.lifetime));
    }
    auto participants = array();
    int signed_count = 0, signer_count = 0;
    for (std::size_t i = 0; i < tx.signers.size(); ++i) {
        const auto &s = tx.signers[i];
        auto p = object();
        p->set("email", s.email);
        p->set("phone_number_type", "suggestion");
        p->set("min_signature_level", "level1");
        auto schedule = array();
        schedule->add(static_cast<int>(i));
        p->set("schedule", schedule);
        p->set("ongoing_conversation", false);
        p->set("has_unread_message", false);
        p->set("state", participant_state(s));
        p->set("waiting_period", 0);
        p->set("full_name_type", "suggestion");
        participants->add(p);
        if (!s.observer) {
            ++signer_count;
            if (s.state == SignerState::has_signed) ++signed_count;
        }
    }
    json->set("participants", participants);
    json->set("watchers", array());
    json->set("sealers", array());
    auto documents = array();
    auto signatures = array();
    for (const auto &d : tx.documents) {
        documents->add(document_json(tx, d));
        for (const auto &f : d.fields) {
            if (f.signers.empty()) continue;
            auto instruction = object();
            instruction->set("field", f.id);
            auto who = array();
            for (const auto &e : f.signers) who->add(e);
            instruction->set("signers", who);
            signatures->add(instruction);
        }
    }
    json->set("documents", documents);
    auto instructions = object();
    instructions->set("signatures", signatures);
    for (const char *empty : {"reviews", "captures", "sequencing", "editions"}) instructions->set(empty, array());
    json->set("instructions", instructions);
    json->set("actions", array());
    auto metadata = object();
    for (const auto &[k, v] : tx.metadata) metadata->set(k, v);
    json->set("metadata", metadata);
    json->set("progress_value", signer_count ? signed_count * 100 / signer_count : 0);
    return to_string(json);
}

Transaction &UniversignEmulator::State::rest_transaction_locked(const Request &r, const std::string &key) {
    const auto &id = r.param("tx");
    const auto it = transactions.find(id);
    if (it == transactions.end() || it->second.api != Api::rest) fail(404, "not_found", "no transaction " + id);
    if (it->second.owner != key) fail(403, "forbidden", "this API key has no access to " + id);
    return it->second;
}

Response UniversignEmulator::State::rest(const Request &request, const std::string &route,
                                         Response (State::*handler)(const Request &, const std::string &)) {
    const auto key = api_key_of(request);
    if (!key || !options.rest.api_keys.count(*key)) {
        auto refused = rest_error(401, "unauthorized", "a valid API key is required");
        refused.header("WWW-Authenticate", "Bearer");
        return refused;
    }
    hold_if_asked(route);
    std::unique_lock lock(mutex);
    ++calls[route];
    bool lose_answer = false;
    if (const auto injected = take_failure_locked(route, false)) {
        if (*injected != 0) return Response{*injected, {}, ""};
        lose_answer = true;
    }
    settle_all_locked(clock->now());
    Response answer;
    try {
        answer = (this->*handler)(request, *key);
    } catch (const RestFailure &f) {
        answer = rest_error(f.status, f.code, f.message);
    }
    if (lose_answer) throw emulator::DropConnection();
    return answer;
}

Response UniversignEmulator::State::upload_file(const Request &r, const std::string &key) {
    const auto form = r.multipart();  // a malformed body is a 400 from the strict parser
    if (form.parts.size() != 1 || form.parts[0].name != "file" || !form.parts[0].filename)
        fail(400, "invalid_request", "one file part named 'file' is expected");
    const auto &part = form.parts[0];
    if (part.content.rfind("%PDF-", 0) != 0) fail(400, "invalid_file", "the file is not a PDF document");
    const auto id = "file_" + random_id(12);
    files[id] = UploadedFile{key, *part.filename, part.content, clock->now()};
    auto json = object();
    json->set("object", "file");
    json->set("id", id);
    return Response::json(200, to_string(json));
}

Response UniversignEmulator::State::create_transaction(const Request &r, const std::string &key) {
    const auto &form = form_of(r);
    only(form, {"name", "language", "duration"}, "metadata[");
    Transaction tx;
    tx.api = Api::rest;
    tx.id = "tx_" + random_id(12);
    tx.owner = key;
    tx.state = TxState::draft;
    tx.created_at = tx.creation_date = clock->now();
    tx.name = field(form, "name").value_or("");
    tx.language = field(form, "language").value_or("en");
    const auto duration = int_field(form, "duration");
    if (duration && *duration <= 0) fail(400, "invalid_parameter", "'duration' must be positive");
    tx.lifetime = duration ? std::chrono::minutes(*duration)
                           : std::chrono::duration_cast<std::chrono::milliseconds>(options.expire_after);
    for (const auto &[name, value] : form)
        if (name.rfind("metadata[", 0) == 0 && name.back() == ']')
            tx.metadata[name.substr(9, name.size() - 10)] = value;
        else if (name.rfind("metadata[", 0) == 0)
            fail(400, "invalid_parameter", "'" + name + "' is not metadata[KEY]");
    if (const auto custom = tx.metadata.find("custom_id"); custom != tx.metadata.end())
        ++created_per_custom_id[custom->second];
    ++created;
    std::vector<TransactionEvent> events{{TransactionEvent::Kind::created, tx.id, 0, 0, tx.created_at}};
    queue_pushes_locked(tx, events);
    const auto body = rest_transaction_json(tx, clock->now());
    transactions.emplace(tx.id, std::move(tx));
    return Response::json(200, body);
}

Response UniversignEmulator::State::add_document(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    const auto &form = form_of(r);
    only(form, {"document", "name"});
    require_draft(tx);
    const auto file_id = field(form, "document");
    if (!file_id) fail(400, "invalid_parameter", "'document' (a file id) is mandatory");
    const auto file = files.find(*file_id);
    if (file == files.end() || file->second.owner != key ||
        file->second.uploaded_at + options.rest.file_lifetime <= clock->now())
        fail(404, "not_found", "no file " + *file_id);
    if (tx.documents.size() >= 20) fail(400, "too_many_documents", "at most 20 documents");
    Document d;
    d.rest_id = "doc_" + random_id(10);
    d.file_name = file->second.file_name;
    d.name = field(form, "name").value_or(d.file_name);
    d.content = file->second.content;
    tx.documents.push_back(d);
    return Response::json(200, to_string(document_json(tx, tx.documents.back())));
}

Response UniversignEmulator::State::add_field(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    const auto &form = form_of(r);
    only(form, {"type", "name", "page", "x", "y"});
    require_draft(tx);
    auto &d = document_of(tx, r.param("doc"));
    SignatureField f;
    f.id = "fld_" + random_id(8);
    f.type = field(form, "type").value_or("signature");
    if (f.type != "signature" && f.type != "visa") fail(400, "invalid_parameter", "'type' is signature or visa");
    f.name = field(form, "name").value_or("");
    f.page = int_field(form, "page");
    f.x = int_field(form, "x");
    f.y = int_field(form, "y");
    if ((f.x.has_value() != f.y.has_value()) || ((f.x || f.y) && !f.page))
        fail(400, "invalid_parameter", "a position needs page, x and y");
    if (f.page && *f.page < 1) fail(400, "invalid_parameter", "pages count from 1");
    d.fields.push_back(f);
    return Response::json(200, to_string(field_json(d.fields.back())));
}

Response UniversignEmulator::State::assign_signature(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    const auto &form = form_of(r);
    only(form, {"signer", "field", "delete"});
    require_draft(tx);
    const auto field_id = field(form, "field");
    if (!field_id) fail(400, "invalid_parameter", "'field' is mandatory");
    SignatureField *target = nullptr;
    for (auto &d : tx.documents)
        for (auto &f : d.fields)
            if (f.id == *field_id) target = &f;
    if (!target) fail(404, "not_found", "no field " + *field_id);
    std::vector<std::string> signers;
    for (const auto &[name, value] : form)
        if (name == "signer") signers.push_back(value);
    if (signers.empty()) fail(400, "invalid_parameter", "'signer' is mandatory");
    if (field(form, "delete") == std::optional<std::string>("true")) {
        for (const auto &e : signers) std::erase(target->signers, e);
    } else {
        for (const auto &e : signers) {
            if (e.find('@') == std::string::npos) fail(400, "invalid_parameter", "'" + e + "' is not an email address");
            if (std::find(target->signers.begin(), target->signers.end(), e) == target->signers.end())
                target->signers.push_back(e);
            if (!signer_by_email(tx, e)) {
                Signer s;
                s.email = e;
                tx.signers.push_back(s);
            }
        }
    }
    return Response::json(200, rest_transaction_json(tx, clock->now()));
}

Response UniversignEmulator::State::add_participant(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    const auto &form = form_of(r);
    only(form, {"email", "first_name", "last_name", "phone_number", "language"});
    require_draft(tx);
    const auto email = field(form, "email");
    if (!email || email->find('@') == std::string::npos) fail(400, "invalid_parameter", "'email' is mandatory");
    auto *s = signer_by_email(tx, *email);
    if (!s) {
        tx.signers.push_back(Signer{});
        s = &tx.signers.back();
        s->email = *email;
    }
    s->first_name = field(form, "first_name").value_or(s->first_name);
    s->last_name = field(form, "last_name").value_or(s->last_name);
    s->phone = field(form, "phone_number").value_or(s->phone);
    s->language = field(form, "language").value_or(tx.language);
    return Response::json(200, rest_transaction_json(tx, clock->now()));
}

Response UniversignEmulator::State::start_transaction(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    only(form_of(r), {});
    require_draft(tx);
    if (tx.documents.empty()) fail(400, "invalid_state", "the transaction has no document");
    // A participant with no signature assigned signs nothing: it only follows (an observer).
    bool any = false;
    for (auto &s : tx.signers) {
        s.observer = true;
        for (const auto &d : tx.documents)
            for (const auto &f : d.fields)
                if (std::find(f.signers.begin(), f.signers.end(), s.email) != f.signers.end()) s.observer = false;
        any = any || !s.observer;
        const auto b = behaviours.find(s.email);
        s.behaviour = b != behaviours.end() ? b->second : behaviour_from_email(s.email);
    }
    if (!any) fail(400, "invalid_state", "no signature is assigned to a participant");
    std::vector<TransactionEvent> events;
    universign_emulator::start(tx, clock->now(), events);
    queue_pushes_locked(tx, events);
    return Response::json(200, rest_transaction_json(tx, clock->now()));
}

Response UniversignEmulator::State::cancel_transaction(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    only(form_of(r), {});
    if (tx.state != TxState::draft && tx.state != TxState::open)
        fail(400, "invalid_state", "the transaction is " + rest_state(tx, clock->now(), timing()));
    std::vector<TransactionEvent> events;
    universign_emulator::cancel(tx, clock->now(), events);
    queue_pushes_locked(tx, events);
    return Response::json(200, rest_transaction_json(tx, clock->now()));
}

Response UniversignEmulator::State::get_transaction(const Request &r, const std::string &key) {
    return Response::json(200, rest_transaction_json(rest_transaction_locked(r, key), clock->now()));
}

Response UniversignEmulator::State::download_document(const Request &r, const std::string &key) {
    auto &tx = rest_transaction_locked(r, key);
    const auto &id = r.param("doc");
    document_of(tx, id);  // 404 for an unknown document
    if (tx.state != TxState::completed)
        fail(400, "invalid_state", "the transaction is " + rest_state(tx, clock->now(), timing()) + ", not completed");
    for (std::size_t i = 0; i < tx.documents.size(); ++i)
        if (tx.documents[i].rest_id == id) {
            ++tx.documents_fetched;
            Response pdf{200, {}, signed_content(tx, i)};
            pdf.header("Content-Type", "application/pdf");
            pdf.header("Content-Disposition", "attachment; filename=\"" + tx.documents[i].file_name + "\"");
            return pdf;
        }
    fail(404, "not_found", "no document " + id);
}

}  // namespace relais::universign_emulator
