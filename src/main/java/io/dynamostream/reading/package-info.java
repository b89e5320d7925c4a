/**
 * Reading the streams, the way the Kinesis Client Library splits it: {@link io.dynamostream.reading.StreamSupervisor}
 * attaches, detaches, pauses and resumes by explicit calls and owns the reader and cursor threads;
 * {@link io.dynamostream.reading.StreamDiscovery} is the scheduled discovery tick; per table a
 * {@link io.dynamostream.reading.TableStream} with its {@link io.dynamostream.reading.ShardLineage} (pure); per shard
 * one {@link io.dynamostream.reading.ShardReader} loop over a {@link io.dynamostream.reading.ShardFetcher} (the
 * iterator) and a {@link io.dynamostream.reading.ShardBuffer} (bounded read-ahead, no threads), plus one
 * {@link io.dynamostream.reading.CatchUpReader} for the cursors that fell a whole buffer behind; per (subscription,
 * shard) one {@link io.dynamostream.reading.ShardCursor} (position, checkpoints, the in-flight mark).
 *
 * <p>May use: {@code delivery} (a cursor hands each batch to {@code BatchDelivery}), {@code state} (checkpoints),
 * {@code metrics}, {@code subscription} (the registry, the file), {@code aws}, {@code config}.
 *
 * <p>Comments cite the service's invariants as (I1) to (I11); each is stated, with the tests that prove it, in
 * {@code src/site/markdown/architecture.md}.
 */
package io.dynamostream.reading;
