// The S3 operations, one function each, grouped by the file that implements them. Each reads
// its request from `ctx`, does the work through `state`, and either sends the success response
// itself or returns an error Status (with an S3 reason where one applies), which S3Handler turns
// into the error XML. None may be called after a response head was sent by another.
#pragma once

#include "server/request_context.h"

namespace trainload::server {

// bucket_operations.cc
Status ListBuckets(RequestContext& ctx, ServiceState& state);
Status CreateBucket(RequestContext& ctx, ServiceState& state);
Status DeleteBucket(RequestContext& ctx, ServiceState& state);
Status HeadBucket(RequestContext& ctx, ServiceState& state);
Status GetBucketLocation(RequestContext& ctx, ServiceState& state);
Status GetBucketVersioning(RequestContext& ctx, ServiceState& state);
Status PutBucketVersioning(RequestContext& ctx, ServiceState& state);
Status GetBucketAcl(RequestContext& ctx, ServiceState& state);
Status GetBucketSubresource(RequestContext& ctx, ServiceState& state);

// list_operations.cc
Status ListObjectsV2(RequestContext& ctx, ServiceState& state);
Status ListObjectsV1(RequestContext& ctx, ServiceState& state);
Status ListObjectVersions(RequestContext& ctx, ServiceState& state);

// object_read_operations.cc
Status GetObject(RequestContext& ctx, ServiceState& state);  // GET and HEAD
Status GetObjectAcl(RequestContext& ctx, ServiceState& state);
Status GetObjectTagging(RequestContext& ctx, ServiceState& state);

// object_write_operations.cc
Status PutObject(RequestContext& ctx, ServiceState& state);
Status CopyObject(RequestContext& ctx, ServiceState& state);

// delete_operations.cc
Status DeleteObject(RequestContext& ctx, ServiceState& state);
Status DeleteObjects(RequestContext& ctx, ServiceState& state);

// multipart_operations.cc
Status CreateMultipartUpload(RequestContext& ctx, ServiceState& state);
Status UploadPart(RequestContext& ctx, ServiceState& state);
Status UploadPartCopy(RequestContext& ctx, ServiceState& state);
Status CompleteMultipartUpload(RequestContext& ctx, ServiceState& state);
Status AbortMultipartUpload(RequestContext& ctx, ServiceState& state);
Status ListParts(RequestContext& ctx, ServiceState& state);
Status ListMultipartUploads(RequestContext& ctx, ServiceState& state);

}  // namespace trainload::server
