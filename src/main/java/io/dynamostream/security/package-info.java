/**
 * Admin API authentication: the API-key mechanism and identity provider, the policy that applies it to every admin
 * route, and the JSON bodies of its 401/403 answers.
 *
 * <p>May use: {@code api} (the error body), {@code config}.
 */
package io.dynamostream.security;
