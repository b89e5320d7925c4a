package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a SAM or CloudFormation template given as {@code CONFIG_PATH} turns into: one subscription per DynamoDB event
 * (or event-source mapping on a stream), with the table, the function and Lambda's properties resolved as
 * CloudFormation would, and a one-line error naming the file and line for what cannot be resolved.
 */
class SamTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLE = Path.of("src/test/resources/sam/template.yaml");
    private static final Path CLOUDFORMATION = Path.of("src/test/resources/sam/cloudformation.json");
    private static final Map<String, String> ENV = Map.of("AWS_REGION", "eu-west-1");

    @TempDir
    Path dir;

    private static List<SamTemplate.Entry> entries(Path file) {
        return SamTemplate.entries(file, ENV::get);
    }

    private Path template(String text) throws IOException {
        Path file = dir.resolve("template.yaml");
        Files.writeString(file, text);
        return file;
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    private static int lineOf(Path file, String text) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + file);
    }

    private static String error(Path file, Runnable read) {
        return assertThrows(SubscriptionFile.InvalidFileException.class, read::run).getMessage()
                .replace("Subscription file " + file.toAbsolutePath(), "<file>");
    }

    /** A function with one DynamoDB event whose properties are {@code properties} (indented for the event). */
    private static String function(String properties) {
        return """
                Transform: AWS::Serverless-2016-10-31
                Resources:
                  People:
                    Type: AWS::DynamoDB::Table
                    Properties:
                      StreamSpecification:
                        StreamViewType: NEW_IMAGE
                  Handler:
                    Type: AWS::Serverless::Function
                    Properties:
                      Handler: app.handler
                      Runtime: python3.12
                      Events:
                        Changes:
                          Type: DynamoDB
                          Properties:
                """ + properties.indent(12);
    }

    @Test
    void givenTheSamInitStyleExample_whenRead_thenItsDynamoDbEventIsOneSubscriptionWithEveryPropertyResolved()
            throws Exception {
        List<SamTemplate.Entry> entries = entries(EXAMPLE);

        assertEquals(1, entries.size(), "the Api event is not a subscription");
        SamTemplate.Entry entry = entries.get(0);
        assertEquals("function PeopleStreamFunction, event PeopleChanges", entry.source());
        assertEquals(lineOf(EXAMPLE, "PeopleChanges:"), entry.line());
        assertEquals(json("""
                {"table_name": "People", "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:PeopleStreamFunction",
                 
                 "StartingPosition": "TRIM_HORIZON", "BatchSize": 25, "MaximumBatchingWindowInSeconds": 1,
                 "MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": true,
                 "FunctionResponseTypes": ["ReportBatchItemFailures"],
                 "FilterCriteria": {"Filters": [{"Pattern": "{\\"eventName\\": [\\"INSERT\\", \\"MODIFY\\"]}"}]},
                 "DestinationConfig": {"OnFailure":
                     {"Destination": "arn:aws:sqs:eu-west-1:123456789012:FailedBatchesQueue"}}}
                """), entry.request());
    }

    @Test
    void givenACloudFormationJsonTemplate_whenRead_thenTheMappingOnTheStreamIsOneSubscriptionAndTheOthersAreNot()
            throws Exception {
        List<SamTemplate.Entry> entries = SamTemplate.entries(CLOUDFORMATION, n -> null);

        assertEquals(1, entries.size(), "the SQS and Kinesis mappings are not ours; the prod-only one is not created: " + entries);
        assertEquals("event source mapping OrdersMapping", entries.get(0).source());
        assertEquals(lineOf(CLOUDFORMATION, "\"OrdersMapping\""), entries.get(0).line());
        assertEquals(json("""
                {"table_name": "orders-dev", "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:local-orders-handler",
                 "StartingPosition": "LATEST",
                 "BatchSize": 10, "ParallelizationFactor": 2, "Enabled": true,
                 "DestinationConfig": {"OnFailure":
                     {"Destination": "arn:aws:sns:us-east-1:123456789012:orders-dev-failures"}}}
                """), entries.get(0).request(), "Tags ignored, \"true\" taken as a boolean, the function by its ARN");
    }

    @Test
    void givenEveryWayToWriteTheStreamOfATable_whenRead_thenEachNamesTheTable() throws Exception {
        for (String stream : List.of("!GetAtt People.StreamArn", "!GetAtt [People, StreamArn]",
                "{Fn::GetAtt: [People, StreamArn]}", "{\"Fn::GetAtt\": \"People.StreamArn\"}",
                "!Sub '${People.StreamArn}'", "!Sub ['${S}', {S: !GetAtt People.StreamArn}]",
                "arn:aws:dynamodb:eu-west-1:123456789012:table/People/stream/2026-12-01T10:00:00.000",
                "!Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${People}/stream/x'",
                "!Join ['', [!GetAtt People.StreamArn]]", "!Select [1, [x, !GetAtt People.StreamArn]]",
                "!Select [0, !Split [',', !Sub '${People.StreamArn},${!NotAVariable}']]")) {
            Path file = template(function("Stream: " + stream + "\nStartingPosition: LATEST"));

            List<SamTemplate.Entry> entries = entries(file);

            assertEquals("People", entries.get(0).request().get("table_name").asText(), stream);
            assertEquals("arn:aws:lambda:eu-west-1:123456789012:function:Handler",
                    entries.get(0).request().get("FunctionName").asText(), stream);
        }
    }

    @Test
    void givenNamesFromParametersAndPseudoParameters_whenRead_thenTheyAreTheLocalNames() throws Exception {
        Path file = template("""
                Transform: AWS::Serverless-2016-10-31
                Parameters:
                  Env: {Type: String, Default: test}
                  Size: {Type: Number, Default: 7}
                  Bisect: {Type: String, Default: 'TRUE', AllowedValues: ['TRUE', 'FALSE']}
                Mappings:
                  Retries: {test: {count: 3}}
                Resources:
                  Table:
                    Type: AWS::DynamoDB::Table
                    Properties:
                      TableName: !Sub '${Env}-${AWS::StackName}-people'
                      StreamSpecification: {StreamViewType: KEYS_ONLY}
                  Dlq:
                    Type: AWS::SQS::Queue
                    Properties: {FifoQueue: true}
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      FunctionName: !Join ['-', [!Ref Env, handler]]
                      Handler: app.handler
                      Runtime: python3.12
                      Events:
                        Changes:
                          Type: DynamoDB
                          Properties:
                            Stream: !GetAtt Table.StreamArn
                            StartingPosition: LATEST
                            BatchSize: !Ref Size
                            BisectBatchOnFunctionError: !Ref Bisect
                            MaximumRetryAttempts: !FindInMap [Retries, !Ref Env, count]
                            KmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/abc
                            MetricsConfig: {Metrics: [EventCount]}
                            FilterCriteria:
                              Filters:
                                - Pattern: '{"dynamodb": {"NewImage": {"note": {"S": ["${HOME}"]}}}}'
                            DestinationConfig:
                              OnFailure:
                                Destination: !GetAtt Dlq.Arn
                """);

        JsonNode request = entries(file).get(0).request();

        assertEquals(json("""
                {"table_name": "test-local-people", "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:test-handler",
                 "StartingPosition": "LATEST",
                 "BatchSize": 7, "BisectBatchOnFunctionError": true, "MaximumRetryAttempts": 3,
                 "FilterCriteria": {"Filters": [{"Pattern":
                     "{\\"dynamodb\\": {\\"NewImage\\": {\\"note\\": {\\"S\\": [\\"${HOME}\\"]}}}}"}]},
                 "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:eu-west-1:123456789012:Dlq.fifo"}}}
                """), request, "KmsKeyArn and MetricsConfig ignored; ${HOME} outside Fn::Sub is text, not the "
                + "environment");
    }

    @Test
    void givenAnEventSourceMappingToAFunctionOfTheTemplate_whenReadByRefOrArn_thenItIsThatFunctionsArn()
            throws Exception {
        for (String function : List.of("!Ref Fn", "!GetAtt Fn.Arn", "people-handler")) {
            Path file = template("""
                    AWSTemplateFormatVersion: '2010-09-09'
                    Resources:
                      Table:
                        Type: AWS::DynamoDB::Table
                        Properties:
                          StreamSpecification: {StreamViewType: NEW_IMAGE}
                      Fn:
                        Type: AWS::Lambda::Function
                        Properties:
                          FunctionName: people-handler
                      Mapping:
                        Type: AWS::Lambda::EventSourceMapping
                        Properties:
                          EventSourceArn: !GetAtt Table.StreamArn
                          FunctionName: %s
                          StartingPosition: TRIM_HORIZON
                    """.formatted(function));

            JsonNode request = entries(file).get(0).request();

            assertEquals(json("""
                    {"table_name": "Table", "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:people-handler",
                     "StartingPosition": "TRIM_HORIZON"}
                    """), request, function);
        }
    }

    @Test
    void givenAnArnOfAFunctionElsewhere_whenRead_thenItIsPassedAsWritten() throws Exception {
        Path file = template("""
                Resources:
                  Mapping:
                    Type: AWS::Lambda::EventSourceMapping
                    Properties:
                      EventSourceArn: arn:aws:dynamodb:us-east-1:111122223333:table/Orders/stream/2026-01-01T00:00:00.000
                      FunctionName: arn:aws:lambda:us-east-1:111122223333:function:orders:live
                      StartingPosition: LATEST
                """);

        assertEquals(json("""
                {"table_name": "Orders", "FunctionName": "arn:aws:lambda:us-east-1:111122223333:function:orders:live",
                 "StartingPosition": "LATEST"}
                """), entries(file).get(0).request());
    }

    @Test
    void givenAFileWithEntries_whenCheckedForATemplate_thenOnlyTemplatesAre() throws Exception {
        assertTrue(SamTemplate.isTemplate(EXAMPLE));
        assertTrue(SamTemplate.isTemplate(CLOUDFORMATION));
        assertFalse(SamTemplate.isTemplate(template("entries:\n  - table_name: People\n    url: http://x\n")));
        assertFalse(SamTemplate.isTemplate(template("entries: [not closed\n")));
        assertFalse(SamTemplate.isTemplate(dir.resolve("missing.yaml")));
        assertTrue(SamTemplate.isTemplate(template("Description: x\nResources: {}\n")));
    }

    @Test
    void givenAStreamOfAnUnknownResource_whenRead_thenTheErrorNamesTheLineAndTheResource() {
        Path file = Path.of("src/test/resources/sam/broken/unknown-resource.yaml");

        assertEquals("<file>, line 17: Fn::GetAtt PersonTable: no parameter or resource 'PersonTable' in this "
                + "template (a value of another stack would need Fn::ImportValue, which cannot be resolved locally)",
                error(file, () -> entries(file)));
    }

    @Test
    void givenAParameterWithoutDefault_whenRead_thenTheErrorNamesTheLineAndSaysToGiveADefault() {
        Path file = Path.of("src/test/resources/sam/broken/parameter-without-default.yaml");

        assertEquals("<file>, line 16: Ref StreamArn: parameter StreamArn (line 3) has no Default, and "
                + "dynamo-stream takes no parameter overrides: give it a Default", error(file, () -> entries(file)));
    }

    @Test
    void givenAnImportedStream_whenRead_thenTheErrorSaysItCannotBeResolvedLocally() {
        Path file = Path.of("src/test/resources/sam/broken/import-value.yaml");

        assertEquals("<file>, line 8: Fn::ImportValue cannot be resolved locally: it reads an output of another "
                + "stack; write the value itself here (for a stream, a stream ARN "
                + "arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>)", error(file, () -> entries(file)));
    }

    @Test
    void givenAnUnknownEventProperty_whenRead_thenTheErrorNamesItsLineAndTheAllowedOnes() {
        Path file = Path.of("src/test/resources/sam/broken/unknown-property.yaml");

        assertEquals("<file>, line 19: function Handler, event Changes: unknown property 'BatchSise' for a "
                + "DynamoDB stream (allowed: Stream, BatchSize, BisectBatchOnFunctionError, DestinationConfig, "
                + "Enabled, FilterCriteria, FunctionResponseTypes, MaximumBatchingWindowInSeconds, "
                + "MaximumRecordAgeInSeconds, MaximumRetryAttempts, ParallelizationFactor, StartingPosition, "
                + "TumblingWindowInSeconds, and, ignored locally, KmsKeyArn, MetricsConfig)",
                error(file, () -> entries(file)));
    }

    @Test
    void givenATableWithoutStream_whenItsStreamIsUsed_thenTheErrorSaysToAddAStreamSpecification() {
        Path file = Path.of("src/test/resources/sam/broken/no-stream.yaml");

        assertEquals("<file>, line 17: Fn::GetAtt PeopleTable.StreamArn: table PeopleTable (line 3) has no "
                + "StreamSpecification, so it has no stream; add StreamSpecification: "
                + "{StreamViewType: NEW_AND_OLD_IMAGES}", error(file, () -> entries(file)));
    }

    @Test
    void givenValuesWithNoLocalMeaning_whenRead_thenEachIsAnErrorOnItsLine() throws Exception {
        Map<String, String> cases = Map.of(
                "StartingPositionTimestamp: 1700000000", "line 19: function Handler, event Changes: "
                        + "StartingPositionTimestamp is for Kinesis streams (StartingPosition AT_TIMESTAMP); a "
                        + "DynamoDB stream starts at LATEST or TRIM_HORIZON",
                "BatchSize: !Base64 abc", "line 19: Fn::Base64 is not resolved by dynamo-stream (it resolves Ref, "
                        + "Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap and Fn::If)",
                "DestinationConfig: {OnFailure: {Type: SQS}}", "line 19: function Handler, event Changes: "
                        + "DestinationConfig.OnFailure has no Destination (SAM would create the SQS destination); "
                        + "name it, e.g. Destination: !GetAtt MyQueue.Arn",
                "BatchSize: !GetAtt People.Arnn", "line 19: Fn::GetAtt People.Arnn: dynamo-stream does not resolve "
                        + "attribute Arnn of a AWS::DynamoDB::Table (it resolves a table's StreamArn and Arn, a "
                        + "function's Arn, a queue's Arn and QueueName, a topic's TopicArn and TopicName)");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path file = template(function("Stream: !GetAtt People.StreamArn\nStartingPosition: LATEST\n"
                    + c.getKey()));

            assertEquals("<file>, " + c.getValue(), error(file, () -> entries(file)), c.getKey());
        }
    }

    @Test
    void givenAStreamThatIsNoDynamoDbStream_whenRead_thenTheErrorNamesTheEvent() throws Exception {
        Path file = template(function("Stream: arn:aws:kinesis:eu-west-1:123456789012:stream/clicks\n"
                + "StartingPosition: LATEST"));

        assertEquals("<file>, line 17: function Handler, event Changes: Stream must be a DynamoDB stream ARN, e.g. "
                + "!GetAtt MyTable.StreamArn, not 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks'",
                error(file, () -> entries(file)));
    }

    @Test
    void givenNoStartingPosition_whenRead_thenTheErrorSaysItIsRequired() throws Exception {
        Path file = template(function("Stream: !GetAtt People.StreamArn\nBatchSize: 10"));

        assertEquals("<file>, line 17: function Handler, event Changes: StartingPosition is required for a DynamoDB "
                + "stream (LATEST or TRIM_HORIZON), as Lambda requires it", error(file, () -> entries(file)));
    }

    @Test
    void givenAQueueByRef_whenUsedAsDestination_thenTheErrorSaysToUseItsArn() throws Exception {
        Path file = template(function("Stream: !GetAtt People.StreamArn\nStartingPosition: LATEST\n"
                + "DestinationConfig: {OnFailure: {Destination: !Ref Dlq}}") + """
                  Dlq:
                    Type: AWS::SQS::Queue
                """);

        assertEquals("<file>, line 19: Ref Dlq is the queue's URL; an on-failure destination takes its ARN: "
                + "!GetAtt Dlq.Arn", error(file, () -> entries(file)));
    }

    @Test
    void givenASyntaxErrorADuplicateKeyOrAnAlias_whenRead_thenTheErrorNamesTheLine() throws Exception {
        Path broken = template("Resources:\n  A:\n    Type: [not closed\n");
        assertEquals("<file>, line 3: while parsing a flow sequence: expected ',' or ']', but got <stream end>",
                error(broken, () -> entries(broken)));

        Path twice = template(function("Stream: !GetAtt People.StreamArn\nStartingPosition: LATEST\n"
                + "StartingPosition: TRIM_HORIZON"));
        assertEquals("<file>, line 19: key 'StartingPosition' is given twice in the same mapping",
                error(twice, () -> entries(twice)));

        Path alias = template(function("Stream: !GetAtt People.StreamArn\nStartingPosition: &start LATEST\n"
                + "FunctionResponseTypes: [*start]"));
        assertEquals("<file>, line 19: YAML aliases (*start) are not read in a template: write the value out",
                error(alias, () -> entries(alias)));
    }

    @Test
    void givenConditionsAndFnIf_whenRead_thenTheyAreEvaluatedWithTheDefaults() throws Exception {
        Path file = template("""
                Parameters:
                  Stage: {Type: String, Default: dev}
                Conditions:
                  IsDev: !Equals [!Ref Stage, dev]
                  IsProd: !Not [!Condition IsDev]
                  Either: !Or [!Condition IsDev, {Condition: IsProd}]
                Resources:
                  Tbl:
                    Type: AWS::DynamoDB::Table
                    Properties: {StreamSpecification: {StreamViewType: NEW_IMAGE}}
                  Dev:
                    Type: AWS::Lambda::EventSourceMapping
                    Condition: Either
                    Properties:
                      EventSourceArn: !GetAtt Tbl.StreamArn
                      FunctionName: dev
                      StartingPosition: !If [IsProd, LATEST, TRIM_HORIZON]
                      MaximumRecordAgeInSeconds: !If [IsDev, !Ref AWS::NoValue, 3600]
                  Prod:
                    Type: AWS::Lambda::EventSourceMapping
                    Condition: IsProd
                    Properties:
                      EventSourceArn: !GetAtt Tbl.StreamArn
                      FunctionName: prod
                """);

        List<SamTemplate.Entry> entries = entries(file);

        assertEquals(1, entries.size());
        assertEquals(json("{\"table_name\": \"Tbl\", \"FunctionName\": \"dev\", \"StartingPosition\": \"TRIM_HORIZON\"}"),
                entries.get(0).request(), "AWS::NoValue drops the property");
    }

    @Test
    void givenAFunctionWithoutDynamoDbEvents_whenRead_thenThereIsNoSubscription() throws Exception {
        Path file = template("""
                Transform: AWS::Serverless-2016-10-31
                Resources:
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      Handler: app.handler
                      Events:
                        Queue:
                          Type: SQS
                          Properties: {Queue: !GetAtt Q.Arn}
                  Q:
                    Type: AWS::SQS::Queue
                """);

        assertEquals(List.of(), entries(file));
    }
}
