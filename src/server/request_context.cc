#include "server/request_context.h"

#include "common/digest.h"

namespace trainload::server {

http::Headers RequestContext::BaseHeaders() const {
  http::Headers headers;
  headers.Reserve(16);  // these, an object's headers, and the server's: one allocation
  headers.Add("x-amz-request-id", request_id_);
  headers.Add("x-amz-id-2", host_id_);
  headers.Add("server", "trainload");
  return headers;
}

Status RequestContext::SendXml(int status, std::string_view xml, http::Headers headers) {
  headers.Set("content-type", "application/xml");
  TL_RETURN_IF_ERROR(exchange_.SendHead(status, headers, xml.size()));
  return exchange_.SendBody(xml);
}

s3::CanonicalUser RequestContext::Owner() const {
  return s3::CanonicalUser{Sha256Hex("trainload-owner:" + auth.access_key_id), "trainload"};
}

Status RequestContext::SendEmpty(int status, http::Headers headers) {
  return exchange_.SendHead(status, headers, 0);
}

}  // namespace trainload::server
