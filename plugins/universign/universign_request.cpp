#include "universign_request.hpp"

#include <relais/support/document_inspect.hpp>
#include <relais/support/file_input.hpp>
#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <set>

namespace relais::universign {

namespace {

using support::string_at;

std::string at(const std::string &list, std::size_t i) { return list + "[" + std::to_string(i) + "]"; }

std::string text(const Json &o, const std::string &key, const std::string &where, const std::string &fallback = {}) {
    if (!o->has(key) || o->isNull(key)) return fallback;
    const auto value = string_at(o, key);
    if (!value) throw invalid_input(where + "." + key + " must be a string");
    return *value;
}

void one_of(const std::string &value, std::initializer_list<const char *> allowed, const std::string &field) {
    for (const auto *a : allowed)
        if (value == a) return;
    std::string list;
    for (const auto *a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw invalid_input(field + ": '" + value + "' is not one of " + list);
}

Poco::JSON::Array::Ptr list(const Json &input, const std::string &key) {
    if (!input->has(key)) throw invalid_input(key + " is required");
    const auto array = support::array_at(input, key);
    if (!array) throw invalid_input(key + " must be an array");
    return array;
}

std::vector<SignerIn> parse_signers(const Json &input) {
    const auto array = list(input, "signers");
    std::vector<SignerIn> signers;
    std::set<std::string> emails;
    bool any_signer = false;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto where = at("signers", i);
        const auto s = support::object_in(array, i);
        if (!s) throw invalid_input(where + " must be an object");
        SignerIn signer;
        signer.first_name = text(s, "first_name", where);
        signer.last_name = text(s, "last_name", where);
        signer.email = text(s, "email", where);
        signer.phone = text(s, "phone", where);
        signer.role = text(s, "role", where, "signer");
        if (signer.email.empty()) throw invalid_input(where + ".email is required (Universign invites by e-mail)");
        const auto atsign = signer.email.find('@');
        if (atsign == std::string::npos || atsign == 0 || atsign + 1 == signer.email.size() ||
            signer.email.find_first_of(" \t\r\n,;<>") != std::string::npos)
            throw invalid_input(where + ".email: '" + signer.email + "' is not an e-mail address");
        if (!emails.insert(signer.email).second)
            throw invalid_input(where + ".email: " + signer.email + " is already signers[] earlier");
        one_of(signer.role, {"signer", "observer"}, where + ".role");
        if (signer.role == "signer") {
            any_signer = true;
            if (signer.first_name.empty() || signer.last_name.empty())
                throw invalid_input(where + ": first_name and last_name are required for a signer");
        }
        if (!signer.phone.empty() && signer.phone.find_first_not_of("+0123456789 ") != std::string::npos)
            throw invalid_input(where + ".phone: '" + signer.phone + "' is not an international phone number");
        signers.push_back(std::move(signer));
    }
    if (!any_signer) throw invalid_input("signers: at least one has the role signer");
    return signers;
}

int integer(const Json &o, const std::string &key, const std::string &where) {
    const auto value = support::integer_at(o, key);
    if (!value) throw invalid_input(where + "." + key + " is required and must be an integer");
    if (*value < -1000000 || *value > 1000000) throw invalid_input(where + "." + key + " is out of range");
    return static_cast<int>(*value);
}

Field parse_field(const Json &f, const std::string &where, const DocumentIn &d, const std::vector<SignerIn> &signers) {
    Field field;
    field.page = integer(f, "page", where);
    if (field.page == 0 || field.page < -1)
        throw invalid_input(where + ".page: pages count from 1 (-1 is the last), not " + std::to_string(field.page));
    if (d.pages > 0 && field.page > static_cast<int>(d.pages))
        throw invalid_input(where + ".page: " + std::to_string(field.page) + " but " + d.name + " has " +
                            std::to_string(d.pages) + " page" + (d.pages > 1 ? "s" : ""));
    field.x = integer(f, "x", where);
    field.y = integer(f, "y", where);
    if (field.x < 0 || field.y < 0) throw invalid_input(where + ": x and y are positive");
    if (!f->has("signer")) throw invalid_input(where + ".signer is required (an index in signers[] or an email)");
    if (const auto index = support::integer_at(f, "signer"); index && !string_at(f, "signer")) {
        if (*index < 0 || *index >= static_cast<int64_t>(signers.size()))
            throw invalid_input(where + ".signer: no signers[" + std::to_string(*index) + "]");
        field.signer = static_cast<int>(*index);
    } else if (const auto email = string_at(f, "signer")) {
        field.signer = -1;
        for (std::size_t i = 0; i < signers.size(); ++i)
            if (signers[i].email == *email) field.signer = static_cast<int>(i);
        if (field.signer < 0) throw invalid_input(where + ".signer: " + *email + " is not in signers[]");
    } else {
        throw invalid_input(where + ".signer must be an index in signers[] or an email");
    }
    if (signers[static_cast<std::size_t>(field.signer)].role != "signer")
        throw invalid_input(where + ".signer: " + signers[static_cast<std::size_t>(field.signer)].email +
                            " is an observer, who signs nothing");
    return field;
}

std::vector<DocumentIn> parse_documents(const Json &input, const Settings &settings,
                                        const std::vector<SignerIn> &signers) {
    const auto array = list(input, "documents");
    if (array->size() == 0) throw invalid_input("documents: at least one document is required");
    if (array->size() > static_cast<std::size_t>(kMaxDocuments))
        throw invalid_input("documents: " + std::to_string(array->size()) + " documents, Universign takes at most " +
                            std::to_string(kMaxDocuments) + " in a transaction");
    support::FileInputOptions options;
    options.name_field = "name";
    options.directory = settings.file_directory;
    options.max_bytes = settings.document_limit();
    std::vector<DocumentIn> documents;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto where = at("documents", i);
        const auto d = support::object_in(array, i);
        if (!d) throw invalid_input(where + " must be an object");
        support::FileInput file;
        try {
            file = support::read_file_input(d, options);
        } catch (const Error &e) {
            std::string message = e.what();
            if (e.status() == RELAIS_INVALID_INPUT && message.find("more than") != std::string::npos)
                message += std::string(" (the limit of Universign's ") + (settings.api == Api::xmlrpc ? "XML-RPC" : "REST") +
                           " API" + (settings.api == Api::xmlrpc ? "; its REST API takes 25 MB" : "") + ")";
            throw Error(e.status(), where + "." + message, e.detail());
        }
        DocumentIn doc;
        doc.name = file.name.empty() ? "document-" + std::to_string(i + 1) + ".pdf" : file.name;
        const auto info = support::inspect_document(file.bytes);
        if (info.media_type.kind != support::MediaKind::pdf)
            throw invalid_input(where + "." + file.field + ": " + doc.name + " is not a PDF (" +
                                (info.media_type.known() ? std::string(support::to_string(info.media_type.kind))
                                                         : "starts with " + support::leading_bytes_hex(file.bytes)) +
                                "); Universign signs PDF documents only");
        if (!info.truncated.empty()) throw invalid_input(where + ": " + doc.name + " is truncated: " + info.truncated);
        if (info.encrypted)
            throw invalid_input(where + ": " + doc.name + " is encrypted (a password or permissions): Universign "
                                "cannot add a signature to it");
        doc.pages = info.pages;
        doc.sha256 = file.sha256;
        doc.bytes = std::move(file.bytes);
        if (d->has("fields")) {
            const auto fields = support::array_at(d, "fields");
            if (!fields) throw invalid_input(where + ".fields must be an array");
            for (std::size_t k = 0; k < fields->size(); ++k) {
                const auto f = support::object_in(fields, k);
                if (!f) throw invalid_input(where + "." + at("fields", k) + " must be an object");
                doc.fields.push_back(parse_field(f, where + "." + at("fields", k), doc, signers));
            }
        }
        documents.push_back(std::move(doc));
    }
    return documents;
}

void check_url(const std::string &value, const std::string &field) {
    if (value.empty()) return;
    if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0)
        throw invalid_input(field + ": '" + value + "' is not an http(s) URL");
}

}  // namespace

void check_custom_id(const std::string &custom_id, const std::string &field) {
    if (custom_id.empty()) throw invalid_input(field + " is required (the ERP's document number, e.g. the quote's)");
    if (custom_id.size() > 100) throw invalid_input(field + " is longer than 100 characters");
    for (char c : custom_id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/'))
            throw invalid_input(field + ": '" + custom_id + "' holds a character outside A-Z a-z 0-9 . _ - /");
}

SignatureRequest parse_signature_request(const Json &input, const Settings &settings) {
    if (!input) throw invalid_input("the input must be an object");
    SignatureRequest r;
    r.custom_id = text(input, "custom_id", "input");
    check_custom_id(r.custom_id, "custom_id");
    r.signers = parse_signers(input);
    r.documents = parse_documents(input, settings, r.signers);
    r.description = text(input, "description", "input");
    r.language = text(input, "language", "input", settings.language);
    one_of(r.language, {"bg", "ca", "de", "en", "es", "fr", "it", "nl", "pl", "pt", "ro"}, "language");
    r.certificate_type = text(input, "certificate_type", "input", settings.certificate_type);
    one_of(r.certificate_type, {"simple", "advanced", "certified"}, "certificate_type");
    r.chaining_mode = text(input, "chaining_mode", "input", settings.chaining_mode);
    one_of(r.chaining_mode, {"email", "web", "none"}, "chaining_mode");
    r.profile = settings.profile;
    r.success_url = text(input, "success_url", "input");
    r.cancel_url = text(input, "cancel_url", "input");
    r.fail_url = text(input, "fail_url", "input");
    check_url(r.success_url, "success_url");
    check_url(r.cancel_url, "cancel_url");
    check_url(r.fail_url, "fail_url");
    if (r.certificate_type != "simple")
        for (std::size_t i = 0; i < r.signers.size(); ++i)
            if (r.signers[i].role == "signer" && r.signers[i].phone.empty())
                throw invalid_input(at("signers", i) + ".phone is required for a " + r.certificate_type +
                                    " signature (Universign sends the signer a code by SMS)");
    return r;
}

TransactionRef parse_transaction_ref(const Json &input) {
    TransactionRef ref;
    if (input) {
        ref.transaction_id = string_at(input, "transaction_id").value_or("");
        ref.custom_id = string_at(input, "custom_id").value_or("");
    }
    if (ref.transaction_id.empty() == ref.custom_id.empty())
        throw invalid_input("name the transaction by transaction_id or by custom_id (one of them)");
    if (!ref.custom_id.empty()) check_custom_id(ref.custom_id, "custom_id");
    return ref;
}

}  // namespace relais::universign
