// Package controller is the controller role: Apache Pinot's controller
// REST API over the cluster metadata in etcd, and the leader's periodic
// tasks.
//
// New binds the REST API (-port, Pinot's 9000); Run registers the
// controller (a CONTROLLER instance under a lease), campaigns for
// leadership and serves until its context ends. Any controller answers
// any request: writes are etcd transactions (cluster.Store), and after a
// write the answer waits until this controller's cache has caught up, so
// a GET that follows sees it. Only the leader runs the periodic tasks:
// retention, which deletes segments whose end time is older than their
// table's retention (record and assignment first, then the deep-store
// file). GET /cluster/info names the leader.
//
// The endpoints follow Pinot's paths, parameters, status codes and JSON
// bodies, errors as {"code":N,"error":"..."}; statusOf is the one table
// from errors to statuses (invalid input 400, missing 404, existing or
// concurrent change 409, no servers to place a segment on 503):
//
//   - schemas: GET/POST /schemas, GET/PUT/DELETE /schemas/{name},
//     POST /schemas/validate;
//   - tables: GET/POST /tables, GET/PUT/DELETE /tables/{t},
//     GET /tables/{t}/schema|idealstate|externalview|size,
//     POST /tables/{t}/rebalance, GET /rebalanceStatus/{jobId};
//   - segments: POST /segments and /v2/segments (multipart upload of a
//     .tseg file or a tar.gz holding one), GET /segments/{t},
//     GET /segments/{t}/servers, GET /segments/{t}/{seg}[/metadata],
//     DELETE /segments/{t}/{seg}, DELETE /segments/{t}?type=&segments=;
//   - instances and tenants: GET /instances, GET /liveinstances,
//     GET/DELETE /instances/{name}, PUT /instances/{name}/updateTags,
//     PUT /instances/{name}/state (enable, disable, drain), GET /tenants,
//     GET /tenants/{t};
//   - broker discovery: GET /v2/brokers/tables?state=ONLINE,
//     GET /tables/livebrokers, GET [/v2]/brokers[/tables|/tenants][/{x}];
//   - realtime tables (realtime.go, completion.go, validation.go,
//     realtimeinfo.go): POST /tables with tableType REALTIME opens one
//     consuming segment per stream partition; the segment completion
//     protocol at GET /segmentConsumed, /segmentCommitStart,
//     /segmentStoppedConsuming and POST /segmentCommitEnd (answered by
//     the leader only, NOT_LEADER elsewhere; wire format in
//     realtime/completionhttp); GET /tables/{t}/consumingSegmentsInfo
//     (Pinot's shape, fanned out to the servers; realtime/consuminginfo);
//     the leader's validation task starts child and new partitions and
//     replaces consuming segments that lost every replica;
//   - GET /health, GET /version, GET /cluster/info.
//
// Rebalance and drain jobs run in the background on the controller that
// started them (assign.Execute never leaves a segment without a serving
// replica). Their records live in etcd (cluster.Job), so every controller
// answers GET /rebalanceStatus and no two run jobs on one target.
package controller
