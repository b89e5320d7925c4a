'use strict';
// A stream-triggered handler for the Lambda destination tests: it keeps nothing and answers what the records ask.
// A record whose NewImage has fail = "error" makes the invocation fail (a function error); otherwise it returns the
// number of records and their event ids.
exports.records = async (event) => {
  const records = event.Records || [];
  if (records.some((r) => r.dynamodb && r.dynamodb.NewImage && r.dynamodb.NewImage.fail
      && r.dynamodb.NewImage.fail.S === 'error')) {
    throw new Error('record asked to fail');
  }
  return { received: records.length, eventIds: records.map((r) => r.eventID) };
};
