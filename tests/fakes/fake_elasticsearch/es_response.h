// Responses shaped like Elasticsearch's: its headers, and its two error body forms.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "tests/fakes/fake_elasticsearch/json_out.h"
#include "tests/fakes/fake_http_server.h"

namespace auditrelay::fakes::es {

// A JSON answer with the headers every Elasticsearch 8 answer has.
FakeResponse json_response(int status, std::string body);

// Extra fields for an error object, written in both root_cause[0] and error.
using ErrorFields = std::function<void(JsonOut&)>;

// {"error":{"root_cause":[{"type":T,"reason":R,...}],"type":T,"reason":R,...},"status":S}
// https://www.elastic.co/guide/en/elasticsearch/reference/current/common-options.html
FakeResponse error_response(int status, std::string_view type, std::string_view reason,
                            const FilterPath& filter, const ErrorFields& extra = {});

// 404 index_not_found_exception "no such index [name]", with its resource fields.
FakeResponse index_not_found(std::string_view name, const FilterPath& filter);

// {"error":"message","status":S}: the plain form of RestController's own refusals (no
// handler, wrong method, unsupported Content-Type).
FakeResponse plain_error(int status, std::string_view message);

// "{"acknowledged":true}"
FakeResponse acknowledged(const FilterPath& filter);

}  // namespace auditrelay::fakes::es
