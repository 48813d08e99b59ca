"""The seed's architecture as a CloudFormation template, built from values (a pure function).

A private S3 bucket (public access blocked, readable only by the distribution through Origin
Access Control), Origin Shield in the bucket's region, the trusted key group with the
published public keys, signed cache behaviours for ``/renditions/*`` and ``/originals/*``,
``/api/*`` and the pages passed to the application uncached, ``/static/*`` cached, the
security-headers CloudFront Function on every answer, TLS 1.2 (2021 policy), HTTP/2 and 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdn.objects import ORIGINALS_PREFIX, RENDITIONS_PREFIX, SECURITY_HEADERS
from pettracker.net import ORIGIN_SECRET_HEADER

# AWS-managed policies (their ids are the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
STATIC_PATH = "/static/*"


@dataclass(frozen=True)
class StackSettings:
    bucket_name: str
    region: str  # the bucket's, and Origin Shield's
    app_domain: str  # the load balancer's own name: the app's origin, never used by people
    cdn_domain: str  # the distribution's alias (images.example.com)
    upload_origins: tuple[str, ...]  # site origins allowed to POST uploads to the bucket
    key_group_name: str
    public_keys: tuple[tuple[str, str], ...]  # (name, PEM) of each trusted key
    site_domains: tuple[str, ...] = ()  # the site's public names, also served by the distribution


def security_headers_function_code() -> str:
    """The viewer-response function of the seed, from the headers the local edge adds too."""
    lines = [
        f"  headers['{name.lower()}'] = {{value: '{value}'}};"
        for name, value in SECURITY_HEADERS.items()
    ]
    return "\n".join(
        [
            "function handler(event) {",
            "  var headers = event.response.headers;",
            *lines,
            "  return event.response;",
            "}",
        ]
    )


def cloudfront_template(stack: StackSettings) -> dict:
    if not stack.public_keys:
        raise ValueError("a key group needs at least one public key")
    resources = {
        "PhotoBucket": _bucket(stack),
        "PhotoBucketPolicy": _bucket_policy(),
        "OriginAccessControl": _origin_access_control(stack),
        **_public_keys(stack),
        "SigningKeyGroup": _key_group(stack),
        "SecurityHeadersFunction": _security_headers_function(stack),
        "Distribution": _distribution(stack),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "PetTracker: private photo bucket behind CloudFront with signed URLs",
        "Parameters": {
            "CertificateArn": {
                "Type": "String",
                "AllowedPattern": "arn:aws:acm:us-east-1:[0-9]{12}:certificate/.+",
                "Description": "ACM certificate (us-east-1) for " + ", ".join(_aliases(stack)),
            },
            "OriginSecret": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 32,
                "Description": "The app's ORIGIN_SECRET: CloudFront adds it to every request "
                f"as {ORIGIN_SECRET_HEADER}, and the app refuses requests without it",
            },
        },
        "Resources": resources,
        "Outputs": {
            "DistributionId": {"Value": {"Ref": "Distribution"}},
            "DistributionDomainName": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "BucketName": {"Value": {"Ref": "PhotoBucket"}},
            "KeyGroupId": {"Value": {"Ref": "SigningKeyGroup"}},
        },
    }


def cloudfront_template_json(stack: StackSettings) -> str:
    return json.dumps(cloudfront_template(stack), indent=2) + "\n"


def _bucket(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": stack.bucket_name,
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            # Browsers upload originals straight to the bucket (presigned POST).
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedMethods": ["POST"],
                        "AllowedOrigins": list(stack.upload_origins),
                        "AllowedHeaders": ["*"],
                        "MaxAge": 3000,
                    }
                ]
            },
        },
    }


def _bucket_policy() -> dict:
    bucket_objects = {"Fn::Sub": "${PhotoBucket.Arn}/*"}
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "PhotoBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CloudFrontReadsThroughOriginAccessControl",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": bucket_objects,
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": {
                                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::"
                                    "${AWS::AccountId}:distribution/${Distribution}"
                                }
                            }
                        },
                    },
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [{"Fn::GetAtt": ["PhotoBucket", "Arn"]}, bucket_objects],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            },
        },
    }


def _origin_access_control(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": f"{stack.bucket_name}-oac",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def _public_keys(stack: StackSettings) -> dict:
    return {
        f"PublicKey{index}": {
            "Type": "AWS::CloudFront::PublicKey",
            "Properties": {
                "PublicKeyConfig": {
                    "CallerReference": name,
                    "Name": name,
                    "EncodedKey": pem,
                    "Comment": "PetTracker signing key",
                }
            },
        }
        for index, (name, pem) in enumerate(stack.public_keys, start=1)
    }


def _key_group(stack: StackSettings) -> dict:
    items = [{"Ref": f"PublicKey{index}"} for index in range(1, len(stack.public_keys) + 1)]
    return {
        "Type": "AWS::CloudFront::KeyGroup",
        "Properties": {"KeyGroupConfig": {"Name": stack.key_group_name, "Items": items}},
    }


def _security_headers_function(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": f"{stack.bucket_name}-security-headers",
            "AutoPublish": True,
            "FunctionConfig": {"Comment": "Security headers", "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": security_headers_function_code(),
        },
    }


def _with_headers(behaviour: dict) -> dict:
    arn = {"Fn::GetAtt": ["SecurityHeadersFunction", "FunctionMetadata.FunctionARN"]}
    return {
        **behaviour,
        "ViewerProtocolPolicy": "redirect-to-https",
        "FunctionAssociations": [{"EventType": "viewer-response", "FunctionARN": arn}],
    }


def _signed_photos(path: str) -> dict:
    return _with_headers(
        {
            "PathPattern": path,
            "TargetOriginId": "photos",
            "CachePolicyId": CACHING_OPTIMIZED,
            "TrustedKeyGroups": [{"Ref": "SigningKeyGroup"}],
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "Compress": False,  # WebP and JPEG are compressed already
        }
    )


def _app(path: str | None, cache_policy: str) -> dict:
    behaviour = {
        "TargetOriginId": "app",
        "CachePolicyId": cache_policy,
        "Compress": True,
    }
    if cache_policy == CACHING_DISABLED:
        methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
        behaviour |= {
            "AllowedMethods": methods,
            "CachedMethods": ["GET", "HEAD"],
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
        }
    if path:
        behaviour["PathPattern"] = path
    return _with_headers(behaviour)


def _aliases(stack: StackSettings) -> list[str]:
    return [stack.cdn_domain, *(d for d in stack.site_domains if d != stack.cdn_domain)]


def _distribution(stack: StackSettings) -> dict:
    photos_origin = {
        "Id": "photos",
        "DomainName": {"Fn::GetAtt": ["PhotoBucket", "RegionalDomainName"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": {"Fn::GetAtt": ["OriginAccessControl", "Id"]},
        "OriginShield": {"Enabled": True, "OriginShieldRegion": stack.region},
    }
    app_origin = {
        "Id": "app",
        "DomainName": stack.app_domain,
        "CustomOriginConfig": {
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
        },
        # The one way in: the app answers only requests carrying this, so every request has
        # come through CloudFront and then the load balancer (PROXIES=cloudfront,load-balancer).
        "OriginCustomHeaders": [
            {"HeaderName": ORIGIN_SECRET_HEADER, "HeaderValue": {"Ref": "OriginSecret"}}
        ],
    }
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": "PetTracker photos and application",
                "Aliases": _aliases(stack),
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_All",
                "ViewerCertificate": {
                    "AcmCertificateArn": {"Ref": "CertificateArn"},
                    "SslSupportMethod": "sni-only",
                    "MinimumProtocolVersion": "TLSv1.2_2021",
                },
                "Origins": [photos_origin, app_origin],
                "DefaultCacheBehavior": _app(None, CACHING_DISABLED),
                "CacheBehaviors": [
                    _signed_photos(f"/{RENDITIONS_PREFIX}*"),
                    _signed_photos(f"/{ORIGINALS_PREFIX}*"),
                    _app("/api/*", CACHING_DISABLED),
                    _app(STATIC_PATH, CACHING_OPTIMIZED),
                ],
            }
        },
    }
