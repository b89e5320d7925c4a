package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template given as {@code CONFIG_PATH} through {@link SubscriptionFile#read}: what the service registers from it,
 * validated like any request, and what stops the start.
 */
class SamTemplateFileTest {

    private static final Map<String, String> ENV = Map.of("AWS_REGION", "eu-west-1");

    @TempDir
    Path dir;

    private static List<SubscriptionRequest.Valid> read(Path file) {
        return SubscriptionFile.read(file, ENV::get);
    }

    private Path template(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private static String event(String properties) {
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
                            Stream: !GetAtt People.StreamArn
                """ + properties.indent(12);
    }

    @Test
    void givenTheSamInitStyleExample_whenReadAsTheSubscriptionFile_thenTheFunctionIsALambdaSubscriptionWithItsSettings() {
        List<SubscriptionRequest.Valid> entries = read(Path.of("src/test/resources/sam/template.yaml"));

        assertEquals(1, entries.size());
        SubscriptionRequest.Valid s = entries.get(0);
        assertEquals("People", s.tableName());
        assertEquals(URI.create("arn:aws:lambda:eu-west-1:123456789012:function:PeopleStreamFunction"), s.url());
        assertEquals(StartingPosition.TRIM_HORIZON, s.startingPosition());
        DeliverySettings settings = s.settings();
        assertEquals(25, settings.batchSize());
        assertEquals(Duration.ofSeconds(1), settings.batchingWindow());
        assertEquals(2, settings.maximumRetryAttempts());
        assertEquals(true, settings.bisectOnError());
        assertEquals(URI.create("arn:aws:sqs:eu-west-1:123456789012:FailedBatchesQueue"),
                settings.destination().onFailure());
        assertEquals(DeliverySettings.OnFailure.SKIP, settings.onFailure(), "Lambda goes on after an on-failure "
                + "destination");
        assertEquals(List.of("{\"eventName\":[\"INSERT\",\"MODIFY\"]}"), settings.mapping().filterPatterns());
        assertEquals(true, settings.mapping().reportBatchItemFailures());
        assertEquals(List.of(), s.warnings());
    }

    @Test
    void givenACloudFormationJsonTemplate_whenReadAsTheSubscriptionFile_thenItsMappingHasLambdasOptions() {
        List<SubscriptionRequest.Valid> entries = SubscriptionFile.read(
                Path.of("src/test/resources/sam/cloudformation.json"), n -> null);

        assertEquals(1, entries.size());
        SubscriptionRequest.Valid s = entries.get(0);
        assertEquals("orders-dev", s.tableName());
        assertEquals(URI.create("arn:aws:lambda:us-east-1:123456789012:function:local-orders-handler"), s.url());
        assertEquals(2, s.settings().mapping().parallelizationFactor());
        assertEquals(URI.create("arn:aws:sns:us-east-1:123456789012:orders-dev-failures"),
                s.settings().destination().onFailure());
    }

    @Test
    void givenAnInvalidValue_whenRead_thenTheErrorNamesItsLineTheEventAndTheProperty() throws IOException {
        Path file = template("template.yaml", event("StartingPosition: LATEST\nBatchSize: 0"));

        SubscriptionFile.InvalidFileException e = assertThrows(SubscriptionFile.InvalidFileException.class,
                () -> read(file));

        assertEquals("Subscription file " + file.toAbsolutePath() + ", line 19: function Handler, event Changes is "
                + "invalid: BatchSize: must be an integer from 1 to 10000", e.getMessage());
        assertEquals(19, e.line());
    }

    @Test
    void givenAnInvalidNestedValueOrTableName_whenRead_thenTheErrorIsOnThatPropertysLine() throws IOException {
        Path file = template("template.yaml", event("""
                StartingPosition: LATEST
                DestinationConfig:
                  OnFailure:
                    Destination: not-an-arn
                """));
        assertEquals(19, assertThrows(SubscriptionFile.InvalidFileException.class, () -> read(file)).line());

        Path shortName = template("template.yaml", event("StartingPosition: LATEST").replace("People", "Pe"));
        SubscriptionFile.InvalidFileException e = assertThrows(SubscriptionFile.InvalidFileException.class,
                () -> read(shortName));
        assertEquals(17, e.line(), e.getMessage());
        assertEquals("Subscription file " + shortName.toAbsolutePath() + ", line 17: function Handler, event Changes "
                + "is invalid: table_name: must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'",
                e.getMessage());
    }

    @Test
    void givenAnEventThatIsNotEnabled_whenRead_thenItIsNotRegistered() throws IOException {
        Path file = template("template.yml", event("StartingPosition: LATEST\nEnabled: false"));

        assertEquals(List.of(), read(file));
    }

    @Test
    void givenDollarBracesInATemplate_whenRead_thenTheyAreNotTakenFromTheEnvironment() throws IOException {
        Path file = template("template.yaml", event("""
                StartingPosition: LATEST
                FilterCriteria:
                  Filters:
                    - Pattern: '{"dynamodb": {"NewImage": {"owner": {"S": ["${USER}"]}}}}'
                """));

        List<SubscriptionRequest.Valid> entries = SubscriptionFile.read(file, Map.of("USER", "alice")::get);

        assertEquals(List.of("{\"dynamodb\":{\"NewImage\":{\"owner\":{\"S\":[\"${USER}\"]}}}}"),
                entries.get(0).settings().mapping().filterPatterns());
    }

    @Test
    void givenAnEntriesFile_whenRead_thenItIsStillTheSubscriptionFile() throws IOException {
        Path file = template("config.yml", "entries:\n  - table_name: People\n    url: http://localhost:9000/x\n");

        assertEquals("People", read(file).get(0).tableName());
    }
}
