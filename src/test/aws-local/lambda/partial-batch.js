'use strict';
// A DynamoDB-stream handler written as on AWS Lambda with Powertools for AWS Lambda's batch utility: each record is
// processed on its own and the answer is Powertools' partial batch response ({"batchItemFailures": [...]}, the
// failed records' SequenceNumber). A record fails while its NewImage asks for it: fail = "always", or
// failTimes = N (its first N deliveries fail). When every record of a batch fails, Powertools throws (a function
// error). What it processed is kept in memory for the tests (processed()).
const { BatchProcessor, EventType, processPartialResponse } = require('@aws-lambda-powertools/batch');

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const deliveries = new Map(); // eventID -> times seen
const processed = []; // SequenceNumbers of records processed successfully, in the order processed

const recordHandler = async (record) => {
  const image = (record.dynamodb && record.dynamodb.NewImage) || {};
  const seen = (deliveries.get(record.eventID) || 0) + 1;
  deliveries.set(record.eventID, seen);
  if (image.fail && image.fail.S === 'always') {
    throw new Error(`record ${record.dynamodb.SequenceNumber} always fails`);
  }
  if (image.failTimes && seen <= Number(image.failTimes.N)) {
    throw new Error(`record ${record.dynamodb.SequenceNumber} fails on delivery ${seen}`);
  }
  processed.push(record.dynamodb.SequenceNumber);
};

exports.handler = async (event, context) =>
  processPartialResponse(event, recordHandler, processor, { context, processInParallel: false });

exports.processed = () => processed.slice();
