//go:build darwin

package main

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

// The helper lives in Switchboard.app/Contents/MacOS, so macOS reads the
// app's Info.plist for it and would give it a second Dock icon; an
// accessory app has only its status item.
static void sbHideFromDock(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
	});
}
*/
import "C"

func hideFromDock() { C.sbHideFromDock() }
