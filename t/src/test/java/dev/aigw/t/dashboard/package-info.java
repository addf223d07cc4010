/** The dashboard on the Admin API's port, driven by a real headless Chromium through Selenium. */
package dev.aigw.t.dashboard;
