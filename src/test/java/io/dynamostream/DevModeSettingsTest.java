package io.dynamostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * {@code ./mvnw quarkus:dev} run without a terminal (CI, {@code </dev/null}) neither asks the Quarkus analytics
 * question nor opens a debug port, and both stay easy to get back: what the build files say, read the way Maven and
 * the Quarkus plugin read them.
 *
 * <ul>
 * <li>The analytics prompt is skipped when {@code quarkus.analytics.disabled} is a system property (or the
 * {@code QUARKUS_ANALYTICS_DISABLED} variable) of Maven's JVM; a project property or application.properties is not
 * read. {@code .mvn/jvm.config} is where the project sets JVM options for every {@code mvn} / {@code ./mvnw} run.
 * <li>The dev mojo's {@code debug} parameter takes the {@code debug} property when the plugin configuration does
 * not set it: a project default of {@code false} that {@code -Ddebug=true} (or a port) on the command line overrides.
 * </ul>
 */
class DevModeSettingsTest {

    @Test
    void givenTheProjectsJvmConfig_thenMavensJvmHasQuarkusAnalyticsDisabled() throws Exception {
        // the mvn script joins the file's lines into MAVEN_OPTS: each whitespace-separated word is one JVM option
        List<String> options = Arrays.asList(Files.readString(Path.of(".mvn/jvm.config")).trim().split("\\s+"));
        assertTrue(options.contains("-Dquarkus.analytics.disabled=true"), "options: " + options);
    }

    @Test
    void givenThePom_thenDevModeDebugIsOffByDefaultAndTheDebugPropertyCanTurnItOn() throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        Document pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        var xpath = XPathFactory.newInstance().newXPath();

        assertEquals("false", xpath.evaluate("/project/properties/debug", pom).trim());
        // a <debug> in the plugin's configuration would win over -Ddebug on the command line
        NodeList pinned = (NodeList) xpath.evaluate(
                "//plugin[artifactId='quarkus-maven-plugin']//configuration/debug", pom, XPathConstants.NODESET);
        assertEquals(0, pinned.getLength(), "debug must stay a property, not plugin configuration");
    }
}
