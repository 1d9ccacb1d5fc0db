import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AttuneNetwork, type AttuneNetworkProps, TRAINING_VPC_CIDR } from '../../infra/constructs/network.ts';
import { newTestStack } from './cdk-test-app.ts';

/** A fresh stack holding only the network; `props` go to it. */
function networkStack(props: AttuneNetworkProps = {}) {
  const { stack } = newTestStack();
  const network = new AttuneNetwork(stack, 'Network', props);
  return { stack, network, template: Template.fromStack(stack) };
}

/** The `com.amazonaws.<region>.<service>` suffix of an endpoint's service name. */
function serviceOf(endpoint: Record<string, unknown>): string {
  const name = JSON.stringify((endpoint.Properties as { ServiceName: unknown }).ServiceName);
  return /\.([a-z0-9.-]+)"\]\]\}$/.exec(name)?.[1] ?? name;
}

describe('AttuneNetwork without internet', () => {
  it('Given defaults, then there is no NAT gateway, no internet gateway and no route out of the VPC', () => {
    const { template } = networkStack();
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    expect(template.findResources('AWS::EC2::Route')).toEqual({});
  });

  it('Given defaults, then the VPC has one isolated subnet in each of two AZs', () => {
    const { template } = networkStack();
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: TRAINING_VPC_CIDR });
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('Given maxAzs 1, then the VPC has a single subnet', () => {
    const { template } = networkStack({ maxAzs: 1 });
    template.resourceCountIs('AWS::EC2::Subnet', 1);
  });
});

describe('AttuneNetwork endpoints', () => {
  it('Given defaults, then S3 and DynamoDB are reached through gateway endpoints on the subnets’ route tables', () => {
    const { template } = networkStack();
    const gateways = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).filter(
      (endpoint) => endpoint.Properties.VpcEndpointType === 'Gateway',
    );
    expect(gateways.map(serviceOf).sort()).toEqual(['dynamodb', 's3']);
    for (const gateway of gateways) expect(gateway.Properties.RouteTableIds).toHaveLength(2);
  });

  it('Given defaults, then ECR, CloudWatch Logs and the three ECS services have private-DNS interface endpoints', () => {
    const { template } = networkStack();
    const interfaces = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).filter(
      (endpoint) => endpoint.Properties.VpcEndpointType === 'Interface',
    );
    expect(interfaces.map(serviceOf).sort()).toEqual([
      'ecr.api',
      'ecr.dkr',
      'ecs',
      'ecs-agent',
      'ecs-telemetry',
      'logs',
    ]);
    for (const endpoint of interfaces) {
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
      expect(endpoint.Properties.SubnetIds).toHaveLength(2);
    }
  });

  it('Given defaults, then the endpoints accept HTTPS from the VPC only and send nothing', () => {
    const { stack, network, template } = networkStack();
    const groupId = stack.getLogicalId(network.endpointSecurityGroup.node.defaultChild as never);
    const group = template.toJSON().Resources[groupId].Properties;
    expect(group.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: TRAINING_VPC_CIDR, IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(group.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });
});

describe('AttuneNetwork flow logs', () => {
  it('Given defaults, then all traffic is logged to a log group kept for 30 days', () => {
    const { template } = networkStack();
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('AttuneNetwork rejects bad props at once', () => {
  it.each([0, 3, 1.5])('Given maxAzs %s, then the constructor throws', (maxAzs) => {
    expect(() => networkStack({ maxAzs })).toThrow(/Network: maxAzs must be 1 or 2/);
  });
});
