/** Black-box tests of the APISIX plugins most configurations use beside the AI ones, and the prompt plugins. */
package dev.aigw.t.dropin;
